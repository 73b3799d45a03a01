/**
 * The seam for unix datagram sockets (AF_UNIX, SOCK_DGRAM), which systemd's notify protocol uses:
 * `send` one message to a socket path, `listen` on one. A path starting with `@` names a Linux
 * abstract socket. Each runtime supplies it in runtimes/<name>/unix-datagram.ts, or leaves
 * `RuntimeAdapter.unixDatagram` undefined and says why in `unixDatagramUnavailableReason`.
 */

/** Who sent a datagram, as the kernel reports it (SO_PASSCRED); empty where it cannot be read. */
export interface DatagramSender {
  pid?: number;
}

export interface UnixDatagram {
  /** Send `message` as one datagram to the socket at `path`. Rejects with the reason it could not. */
  send(path: string, message: string): Promise<void>;
  /** Bind `path` and hear every datagram sent to it, with its sender's pid where the kernel gives it. */
  listen(path: string, onMessage: (text: string, sender: DatagramSender) => void): Promise<{ close(): Promise<void> }>;
  /**
   * Which process the receiver sees as the sender of `send`: "self" (this process's pid), or
   * "helper" (another process's, e.g. systemd-notify(1) where the runtime has no datagram socket
   * of its own; systemd then needs NotifyAccess=all).
   */
  readonly sender: "self" | "helper";
}

/** `@name` is an abstract socket: its address starts with a NUL byte and has no trailing NUL. */
export function sockaddrPath(path: string): { abstract: boolean; name: string } {
  return path.startsWith("@") ? { abstract: true, name: path.slice(1) } : { abstract: false, name: path };
}

/** What an adapter adds to itself for systemd (RuntimeAdapter's optional fields of the same names). */
export interface DatagramSupport {
  unixDatagram?: UnixDatagram;
  unixDatagramUnavailableReason?: string;
  monotonicUsec?(): bigint;
}
