/**
 * Stop a Bun.serve listener without touching its connections. `server.stop()` does both at once: it
 * closes the listener and every kept-alive socket with no request in progress — including one a
 * client is reusing right now, whose request then gets a reset (RUNTIMES.md pitfall 1).
 *
 * On Linux pounce finds the listener's fd (the socket among its fds whose local port is the server's
 * and which is listening: getsockname, getsockopt SO_ACCEPTCONN) right after listening, and at drain time puts a fresh, unbound socket in its place with dup2(2) (libc through
 * bun:ffi). That closes the listening socket — the kernel refuses new connections, or with
 * net.ipv4.tcp_migrate_req=1 hands queued ones to a sibling listener — and drops it from Bun's event
 * loop, while Bun keeps serving the connections it has; its later `stop()` closes the placeholder.
 * (shutdown(2) on the fd instead would leave the fd in the loop, which then spins: measured 0.8 s of
 * CPU per second, against 5 ms with dup2.) Where any piece is missing, `detachListener` returns false
 * and the caller falls back to `stop()` after an accept grace.
 *
 * The same fd also gets TCP_DEFER_ACCEPT switched off (see listenerControl).
 */
import { readdirSync } from "node:fs";

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: unknown, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: unknown, len: unknown): number;
  getsockname(fd: number, addr: unknown, len: unknown): number;
  dup2(oldfd: number, newfd: number): number;
  close(fd: number): number;
}

const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];
const AF_INET = 2;
const SOCK_STREAM = 1;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const TCP_DEFER_ACCEPT = 9;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;

let libc: Libc | null | undefined;
let toPointer: ((view: ArrayBufferView) => unknown) | undefined;
const addrBuf = new Uint8Array(128);
const lenBuf = new Uint32Array(1);
const intBuf = new Int32Array(1);
const ptr = (view: ArrayBufferView): unknown => (toPointer as (v: ArrayBufferView) => unknown)(view);

async function loadLibc(): Promise<Libc | null> {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return null;
  let ffi: {
    dlopen(name: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Libc };
    ptr(view: ArrayBufferView): unknown;
  };
  try {
    const specifier = "bun:ffi";
    ffi = await import(specifier);
  } catch {
    return null;
  }
  for (const name of LIBC_NAMES) {
    try {
      libc = ffi.dlopen(name, {
        socket: { args: ["i32", "i32", "i32"], returns: "i32" },
        setsockopt: { args: ["i32", "i32", "i32", "ptr", "i32"], returns: "i32" },
        getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
        getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
        dup2: { args: ["i32", "i32"], returns: "i32" },
        close: { args: ["i32"], returns: "i32" },
      }).symbols;
      toPointer = ffi.ptr;
      break;
    } catch {
      // not this libc
    }
  }
  return libc;
}

/** The port of fd's local address when it is a TCP/IP socket (getsockname), else undefined. */
function localPort(c: Libc, fd: number): number | undefined {
  const len = lenBuf;
  len[0] = addrBuf.length;
  if (c.getsockname(fd, ptr(addrBuf), ptr(len)) !== 0) return undefined;
  const family = addrBuf[0]! | (addrBuf[1]! << 8);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  return (addrBuf[2]! << 8) | addrBuf[3]!;
}

function isListening(c: Libc, fd: number): boolean {
  const len = lenBuf;
  len[0] = 4;
  intBuf[0] = 0;
  return c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, ptr(intBuf), ptr(len)) === 0 && intBuf[0] === 1;
}

/** This process's fds (from /proc/self/fd, else a scan of the low numbers). */
function ownFds(): number[] {
  try {
    return readdirSync("/proc/self/fd").map(Number);
  } catch {
    return Array.from({ length: 1024 }, (_, i) => i);
  }
}

/** This process's listening TCP socket on `port`, as an fd. */
function listenerFd(c: Libc, port: number): number | undefined {
  return ownFds().find((fd) => localPort(c, fd) === port && isListening(c, fd));
}

/** Client connections this process holds on `port`: its sockets bound locally to that port, other
 *  than the listener (one getsockname per open fd; read only while draining). Undefined where
 *  bun:ffi is unavailable. */
export function openConnections(port: number): number | undefined {
  const c = libc;
  if (!c) return undefined;
  let n = 0;
  for (const fd of ownFds()) if (localPort(c, fd) === port && !isListening(c, fd)) n++;
  return n;
}

export interface ListenerControl {
  /** Close the listening socket now, leaving the connections; false if that failed. */
  detach(): boolean;
}

/** Prepare to detach the listener on `port`; null where that is not possible here. */
export async function listenerControl(port: number): Promise<ListenerControl | null> {
  try {
    const c = await loadLibc();
    if (!c) return null;
    const fd = listenerFd(c, port);
    if (fd === undefined) return null;
    // Bun listens with TCP_DEFER_ACCEPT: a connection whose first bytes have not arrived yet stays
    // in the kernel (SYN-RECV on the server side, established for the client), so closing the
    // listener resets it even though the client connected before the drain. Accept at once instead,
    // so every connection that reached this worker is served.
    c.setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, ptr(new Int32Array(1)), 4);
    let done = false;
    return {
      detach() {
        if (done) return true;
        const placeholder = c.socket(AF_INET, SOCK_STREAM, 0);
        if (placeholder < 0) return false;
        const ok = c.dup2(placeholder, fd) === fd;
        c.close(placeholder);
        done = ok;
        return ok;
      },
    };
  } catch {
    return null;
  }
}
