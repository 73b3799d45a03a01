/**
 * Close a Deno.serve listener without closing its connections. `server.shutdown()` does both at once:
 * it stops accepting and closes every connection with no request in progress — including one the
 * kernel handed over a moment ago whose first request is still on its way, which then gets a reset
 * (measured: ~2 per reload under connection-per-request load, with tcp_migrate_req on). So pounce
 * stops the listener alone first, with shutdown(2) on its fd: the kernel refuses (or, with
 * tcp_migrate_req=1, hands to a sibling listener) what is still queued, connections already accepted
 * keep being served, and `server.shutdown()` runs only after an idle grace.
 *
 * Linux only, and it needs FFI (`--allow-ffi`, part of -A) for libc's getsockopt, getsockname and
 * shutdown. Without it `findListenerFd` finds nothing and the caller falls back to
 * `server.shutdown()`.
 */
import { Deno } from "./deno-api.ts";

const SHUT_RD = 0;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;
const AF_INET = 2;
const AF_INET6 = 10;
/** Without /proc, fds 3..MAX_FD_PROBE are probed with getsockopt (a few ms, once per worker). */
const MAX_FD_PROBE = 4096;
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

interface Libc {
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
}

interface FfiDeno {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Libc };
  readDirSync(path: string): Iterable<{ name: string }>;
  readLinkSync(path: string): string;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  const ffi = Deno as unknown as FfiDeno;
  if (Deno.build.os !== "linux" || typeof ffi.dlopen !== "function") return null;
  for (const name of LIBC_NAMES) {
    try {
      libc = ffi.dlopen(name, {
        shutdown: { parameters: ["i32", "i32"], result: "i32" },
        getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
        getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
      }).symbols;
      break;
    } catch {
      // not this libc, or no --allow-ffi
    }
  }
  return libc;
}

/** The TCP port a socket fd is bound to, and whether it listens; undefined for other fds. */
function tcpSocket(c: Libc, fd: number): { port: number; listening: boolean } | undefined {
  const value = new Uint8Array(4);
  const len = new Uint8Array(new Uint32Array([4]).buffer);
  if (c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, len) !== 0) return undefined; // not a socket
  const addr = new Uint8Array(128);
  const addrLen = new Uint8Array(new Uint32Array([128]).buffer);
  if (c.getsockname(fd, addr, addrLen) !== 0) return undefined;
  const family = (addr[0] as number) | ((addr[1] as number) << 8);
  if (family !== AF_INET && family !== AF_INET6) return undefined; // e.g. the IPC channel's unix socket
  // sockaddr_in and sockaddr_in6 both keep the port, big-endian, at bytes 2–3.
  return {
    port: ((addr[2] as number) << 8) + (addr[3] as number),
    listening: new DataView(value.buffer).getInt32(0, true) === 1,
  };
}

/**
 * This process's listening socket on `port`, as an fd: among its open fds, the one that is a
 * listening socket (SO_ACCEPTCONN) bound to `port` (getsockname). Found once, right after the bind,
 * so that stopping it later is a single syscall.
 */
export function findListenerFd(port: number): number | undefined {
  const c = loadLibc();
  if (!c) return undefined;
  try {
    for (const fd of openFds()) {
      const s = tcpSocket(c, fd);
      if (s?.listening && s.port === port) return fd;
    }
  } catch {
    // FFI refused
  }
  return undefined;
}

/**
 * Client connections this process holds on `port` (accepted sockets), counted from its fds; undefined
 * where that cannot be known cheaply (no FFI, or no /proc/self/fd to list the fds).
 */
export function acceptedConnections(port: number): number | undefined {
  const c = loadLibc();
  if (!c) return undefined;
  const ffi = Deno as unknown as FfiDeno;
  try {
    let n = 0;
    for (const e of ffi.readDirSync("/proc/self/fd")) {
      const s = tcpSocket(c, Number(e.name));
      if (s && !s.listening && s.port === port) n++;
    }
    return n;
  } catch {
    return undefined;
  }
}

/** Open fds from /proc/self/fd (Deno opens /proc only under -A), else every fd up to a bound. */
function openFds(): number[] {
  const ffi = Deno as unknown as FfiDeno;
  try {
    return [...ffi.readDirSync("/proc/self/fd")].map((e) => Number(e.name)).filter((fd) => fd > 2);
  } catch {
    return Array.from({ length: MAX_FD_PROBE - 3 }, (_, i) => i + 3);
  }
}

/** Stop accepting on the listening socket `fd`; false when that did not work. */
export function stopListener(fd: number | undefined): boolean {
  if (fd === undefined) return false;
  try {
    return loadLibc()?.shutdown(fd, SHUT_RD) === 0;
  } catch {
    return false;
  }
}

/** Deno.serve's accept loop reports the stopped listener as this rejection; it is expected. */
export function isStoppedListenerError(reason: unknown): boolean {
  const msg = reason instanceof Error ? reason.message : String(reason);
  return /Invalid argument \(os error 22\)/.test(msg);
}
