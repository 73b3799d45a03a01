/**
 * A unix datagram socket (AF_UNIX, SOCK_DGRAM) from libc through a runtime's FFI, for Bun and Deno,
 * whose own APIs have none the supervisor can use (Bun: none; Deno: `Deno.listenDatagram` only under
 * --unstable-net, which the supervisor does not get, and without the sender's credentials). The
 * datagrams leave from this process, so a receiver such as systemd sees the supervisor's pid.
 * `listen` polls a non-blocking socket (one recvmsg per tick): notify traffic is a few messages a
 * minute, and the FFI has no way to wait on the runtime's own event loop. Linux on 64-bit CPUs only
 * (the struct layouts below are LP64's).
 */
import { unlinkSync } from "node:fs";
import { sockaddrPath, type UnixDatagram } from "../../src/systemd/datagram.ts";

/** libc's calls through the runtime's FFI; buffers are typed arrays that stay referenced. */
export interface DatagramCalls {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrLen: number): number;
  recvmsg(fd: number, msghdr: Uint8Array, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: Int32Array, len: number): number;
  close(fd: number): number;
  clockGettime(clock: number, timespec: BigInt64Array): number;
  /** errno after the last failed call. */
  errno(): number;
  /** The address of a buffer, to store inside a struct (msghdr, iovec). */
  address(view: ArrayBufferView): bigint;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const CLOCK_MONOTONIC = 1;
const SUN_PATH_MAX = 108;
const POLL_MS = 20;
const ERRNO: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  11: "EAGAIN",
  13: "EACCES",
  90: "EMSGSIZE",
  91: "EPROTOTYPE",
  98: "EADDRINUSE",
  111: "ECONNREFUSED",
};

export function ffiSupported(platform: string, arch: string): string | undefined {
  if (platform !== "linux") return `unix datagram sockets through libc are implemented for Linux only (this is ${platform})`;
  if (arch !== "x64" && arch !== "arm64") return `unix datagram sockets through libc need a 64-bit CPU (this is ${arch})`;
  return undefined;
}

/** sockaddr_un for `path` (`@name`: abstract). */
function sockaddr(path: string): { addr: Uint8Array; len: number } {
  const { abstract, name } = sockaddrPath(path);
  const bytes = new TextEncoder().encode(name);
  const room = SUN_PATH_MAX - 1; // abstract: a leading NUL; a path: a trailing one
  if (bytes.length > room || bytes.length === 0)
    throw new Error(`socket path ${JSON.stringify(path)} is empty or longer than ${room} bytes`);
  const addr = new Uint8Array(128);
  addr[0] = AF_UNIX; // sa_family, little-endian u16
  addr.set(bytes, abstract ? 3 : 2);
  return { addr, len: 2 + 1 + bytes.length };
}

function failure(c: DatagramCalls, what: string): Error {
  const n = c.errno();
  return new Error(`${what}: ${ERRNO[n] ?? "error"} (errno ${n})`);
}

export function ffiUnixDatagram(c: DatagramCalls): UnixDatagram {
  return {
    sender: "self",
    async send(path, message) {
      const { addr, len } = sockaddr(path);
      const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw failure(c, "cannot create a unix datagram socket");
      try {
        const body = new TextEncoder().encode(message);
        const buf = new Uint8Array(Math.max(body.length, 128));
        buf.set(body);
        if (c.sendto(fd, buf, body.length, MSG_NOSIGNAL, addr, len) < 0) throw failure(c, `cannot send to ${path}`);
      } finally {
        c.close(fd);
      }
    },
    async listen(path, onMessage) {
      const { addr, len } = sockaddr(path);
      const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) throw failure(c, "cannot create a unix datagram socket");
      const one = new Int32Array([1, 0, 0, 0]);
      if (c.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) !== 0 || c.bind(fd, addr, len) !== 0) {
        const err = failure(c, `cannot listen on ${path}`);
        c.close(fd);
        throw err;
      }
      const receive = receiver(c, fd);
      const timer = setInterval(() => {
        for (let m = receive(); m; m = receive()) onMessage(m.text, m.pid === undefined ? {} : { pid: m.pid });
      }, POLL_MS);
      let closed = false;
      return {
        async close() {
          if (closed) return;
          closed = true;
          clearInterval(timer);
          c.close(fd);
          if (!path.startsWith("@"))
            try {
              unlinkSync(path);
            } catch {}
        },
      };
    },
  };
}

/** One non-blocking recvmsg per call: the datagram and its sender's pid, or undefined when none waits. */
function receiver(c: DatagramCalls, fd: number): () => { text: string; pid?: number } | undefined {
  // Kept referenced for the listener's life: their addresses are stored in the msghdr.
  const data = new Uint8Array(65536);
  const control = new Uint8Array(512);
  const iov = new BigUint64Array(16);
  const msghdr = new Uint8Array(128);
  const hdr = new DataView(msghdr.buffer);
  iov[0] = c.address(data);
  iov[1] = BigInt(data.length);
  const decoder = new TextDecoder();
  return () => {
    msghdr.fill(0);
    hdr.setBigUint64(16, c.address(iov), true); // msg_iov
    hdr.setBigUint64(24, 1n, true); // msg_iovlen
    hdr.setBigUint64(32, c.address(control), true); // msg_control
    hdr.setBigUint64(40, BigInt(control.length), true); // msg_controllen
    const n = c.recvmsg(fd, msghdr, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return undefined;
    let pid: number | undefined;
    const cmsgs = new DataView(control.buffer);
    const controlLen = Number(hdr.getBigUint64(40, true));
    for (let off = 0; off + 16 <= controlLen; ) {
      const cmsgLen = Number(cmsgs.getBigUint64(off, true));
      if (cmsgLen < 16) break;
      const level = cmsgs.getInt32(off + 8, true);
      const type = cmsgs.getInt32(off + 12, true);
      if (level === SOL_SOCKET && type === SCM_CREDENTIALS) pid = cmsgs.getInt32(off + 16, true);
      // Passed fds (systemd-notify's BARRIER=1 waits for its fd to be closed): close them.
      if (level === SOL_SOCKET && type === SCM_RIGHTS)
        for (let p = off + 16; p + 4 <= off + cmsgLen; p += 4) c.close(cmsgs.getInt32(p, true));
      off += (cmsgLen + 7) & ~7;
    }
    return { text: decoder.decode(data.subarray(0, n)), pid };
  };
}

/** CLOCK_MONOTONIC in µs through libc's clock_gettime. */
export function monotonicUsec(c: DatagramCalls): bigint {
  const ts = new BigInt64Array(16);
  if (c.clockGettime(CLOCK_MONOTONIC, ts) !== 0) throw failure(c, "clock_gettime(CLOCK_MONOTONIC) failed");
  return (ts[0] as bigint) * 1_000_000n + (ts[1] as bigint) / 1000n;
}
