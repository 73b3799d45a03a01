/**
 * Close a reusePort server's listening socket without touching its connections — the one technique
 * Bun and Deno share on Linux. Their own stop (`server.stop()`, `server.shutdown()`) closes the
 * listener and every kept-alive socket with no request in progress at once, including one a client
 * is reusing right now, whose request then gets a reset (RUNTIMES.md pitfall 1).
 *
 * Right after listening, the listener's fd is found among this process's fds (a listening socket,
 * SO_ACCEPTCONN, bound to the server's port, getsockname); at drain time a fresh, unbound socket is
 * put in its place with dup2(2). That closes the listening socket — the kernel refuses new
 * connections, or with net.ipv4.tcp_migrate_req=1 hands queued ones to a sibling listener — and
 * drops it from the runtime's event loop, while the connections it has keep being served; the
 * runtime's later stop closes the placeholder. (shutdown(2) on the fd instead leaves it in the loop:
 * Bun's then spins, 0.8 s of CPU per second against 5 ms with dup2; Deno's accept loop rejects.)
 * libc comes from each runtime's FFI (bun:ffi, Deno.dlopen with --allow-ffi): `SocketCalls`.
 * Where any piece is missing the caller falls back to its stop after the accept grace.
 */
import { readdirSync } from "node:fs";

/** libc's socket calls, through the runtime's FFI. Buffers are passed as typed arrays. */
export interface SocketCalls {
  socket(domain: number, type: number, protocol: number): number;
  dup2(oldfd: number, newfd: number): number;
  listen(fd: number, backlog: number): number;
  close(fd: number): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint32Array): number;
  getpeername(fd: number, addr: Uint8Array, len: Uint32Array): number;
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number, value: Int32Array, len: Uint32Array): number;
  setsockopt(fd: number, level: number, name: number, value: Int32Array, len: number): number;
  /** poll(2) on `fds` (struct pollfd as two int32: fd, then events | revents << 16). */
  poll(fds: Int32Array, nfds: number, timeoutMs: number): number;
}

/** What the listener is bound to: a TCP port, or a unix socket's (private) path. */
export type ListenerAddress = { kind: "tcp"; port: number } | { kind: "unix"; path: string };

export const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;
const IPPROTO_TCP = 6;
const TCP_DEFER_ACCEPT = 9;
const POLLIN = 1;
/** How often a last listener with a lowered backlog looks whether its accept queue is empty yet. */
const QUEUE_POLL_MS = 5;
/** Without /proc/self/fd, fds 3..MAX_FD_PROBE are probed (a few ms, once per worker). */
const MAX_FD_PROBE = 4096;

const addr = new Uint8Array(128);
const len = new Uint32Array(1);
const int = new Int32Array(1);

/** The TCP port a socket fd is bound to and whether it listens; undefined for other fds. */
function tcpSocket(c: SocketCalls, fd: number): { port: number; listening: boolean } | undefined {
  len[0] = addr.length;
  if (c.getsockname(fd, addr, len) !== 0) return undefined;
  const family = (addr[0] as number) | ((addr[1] as number) << 8);
  if (family !== AF_INET && family !== AF_INET6) return undefined; // e.g. the IPC channel's unix socket
  // sockaddr_in and sockaddr_in6 both keep the port, big-endian, at bytes 2–3.
  const port = ((addr[2] as number) << 8) | (addr[3] as number);
  len[0] = 4;
  int[0] = 0;
  return { port, listening: c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, int, len) === 0 && int[0] === 1 };
}

/** The path a unix socket fd is bound to (an accepted one: its listener's) and whether it listens. */
function unixSocket(c: SocketCalls, fd: number): { path: string; listening: boolean } | undefined {
  len[0] = addr.length;
  if (c.getsockname(fd, addr, len) !== 0) return undefined;
  if (((addr[0] as number) | ((addr[1] as number) << 8)) !== AF_UNIX) return undefined;
  // Only the first `len` bytes are this socket's (an unnamed one, e.g. an IPC socketpair, has none
  // past the family): the buffer still holds the previous call's bytes.
  const name = addr.subarray(2, Math.min(len[0] as number, addr.length));
  const end = name.indexOf(0);
  const path = decoder.decode(end < 0 ? name : name.subarray(0, end));
  len[0] = 4;
  int[0] = 0;
  return { path, listening: c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, int, len) === 0 && int[0] === 1 };
}

const decoder = new TextDecoder();

/** This process's fds from /proc/self/fd; undefined where it cannot be listed. */
function listedFds(): number[] | undefined {
  try {
    return readdirSync("/proc/self/fd")
      .map(Number)
      .filter((fd) => fd > 2);
  } catch {
    return undefined;
  }
}

export interface ListenerControl {
  /** Close the listening socket now, leaving the connections; false if that failed. `last`: no other
   *  listener is left on the port (a shutdown), see listenerControl. */
  detach(last?: boolean): boolean;
  /** Client connections this process holds on the port (read only while draining); undefined
   *  where the fds cannot be listed. */
  connections(): number | undefined;
}

/** Find the listener (call right after listening); null where it cannot be closed alone. */
export function listenerControl(c: SocketCalls | null, at: ListenerAddress): ListenerControl | null {
  if (!c) return null;
  if (at.kind === "unix") return unixListenerControl(c, at.path);
  const port = at.port;
  try {
    const fds = listedFds() ?? Array.from({ length: MAX_FD_PROBE - 3 }, (_, i) => i + 3);
    const fd = fds.find((n) => {
      const s = tcpSocket(c, n);
      return s?.listening === true && s.port === port;
    });
    if (fd === undefined) return null;
    // Bun listens with TCP_DEFER_ACCEPT: a connection whose first bytes have not arrived yet stays
    // in the kernel (SYN-RECV on the server side, established for the client), so closing the
    // listener resets it even though the client connected before the drain. Accept at once instead,
    // so every connection that reached this worker is served. (A no-op where it is off.)
    c.setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, new Int32Array(1), 4);
    let done = false;
    // The last listener on a port (a shutdown) is not closed at once: closing it would reset what
    // the kernel has queued on it, connections whose clients already sent their request (probed:
    // 26 per shutdown on Deno under a fresh-connection load, with the worker busy). Its backlog goes
    // to 0 first (Linux then completes at most one more handshake; a client whose SYN is dropped
    // retries and is refused), the runtime's accept loop takes what is queued, and the moment the
    // queue is empty (poll(2), looked at every few ms) the socket is closed as below. Until then it
    // counts as one connection more, which keeps the runtime's stop (which would reset the queue)
    // waiting. What is left is the instant of the close, as for Node's primary.
    let lastOpen = false;
    const pollfd = new Int32Array(2);
    const queued = () => {
      pollfd[0] = fd;
      pollfd[1] = POLLIN;
      return c.poll(pollfd, 1, 0) > 0 && ((pollfd[1] as number) >>> 16) & POLLIN ? 1 : 0;
    };
    const close = () => {
      const placeholder = c.socket(AF_INET, SOCK_STREAM, 0);
      if (placeholder < 0) return false;
      done = c.dup2(placeholder, fd) === fd;
      c.close(placeholder);
      return done;
    };
    return {
      detach(last) {
        if (done || lastOpen) return true;
        if (last && c.listen(fd, 0) === 0) {
          lastOpen = true;
          const closeOnceEmpty = () => {
            if (done) return;
            if (queued() === 0) close();
            else setTimeout(closeOnceEmpty, QUEUE_POLL_MS);
          };
          // One turn of the loop first: the runtime may have accepted connections it has not run yet.
          setTimeout(closeOnceEmpty, 0);
          return true;
        }
        return close();
      },
      connections() {
        const listed = listedFds();
        if (!listed) return undefined;
        let n = lastOpen && !done ? queued() : 0;
        for (const other of listed) {
          const s = other === fd && !done ? undefined : tcpSocket(c, other);
          if (s && !s.listening && s.port === port) n++;
        }
        return n;
      },
    };
  } catch {
    return null;
  }
}

/**
 * A unix socket listener needs no closing at drain time: by then the supervisor has renamed the new
 * generation's socket over the public path (or, on a shutdown, unlinked it), so no connect() can
 * reach this listener any more — only connections already queued on it, which must be accepted
 * and served, not reset. So detaching does nothing, and until the queue is empty (poll(2) on the
 * listener) the worker counts one connection more, which keeps the runtime's stop (which closes the
 * listener and resets what is queued) waiting.
 */
function unixListenerControl(c: SocketCalls, path: string): ListenerControl | null {
  try {
    const fds = listedFds() ?? Array.from({ length: MAX_FD_PROBE - 3 }, (_, i) => i + 3);
    const fd = fds.find((n) => {
      const s = unixSocket(c, n);
      return s?.listening === true && s.path === path;
    });
    if (fd === undefined) return null;
    const pollfd = new Int32Array(2);
    const queued = () => {
      pollfd[0] = fd;
      pollfd[1] = POLLIN;
      return c.poll(pollfd, 1, 0) > 0 && ((pollfd[1] as number) >>> 16) & POLLIN ? 1 : 0;
    };
    return {
      detach: () => true,
      connections() {
        const listed = listedFds();
        if (!listed) return undefined;
        let n = queued();
        for (const other of listed) {
          if (other === fd) continue;
          const s = unixSocket(c, other);
          if (s && !s.listening && s.path === path) n++;
        }
        return n;
      },
    };
  } catch {
    return null;
  }
}
