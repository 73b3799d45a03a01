/**
 * Close a Deno.serve listener without closing its connections. `server.shutdown()` does both at once:
 * it stops accepting and closes every connection with no request in progress — including one the
 * kernel handed over a moment ago whose first request is still on its way, which then gets a reset
 * (measured: ~2 per reload under connection-per-request load, with tcp_migrate_req on). So pounce
 * stops the listener alone first, with shutdown(2) on its fd: the kernel refuses (or, with
 * tcp_migrate_req=1, hands to a sibling listener) what is still queued, connections already accepted
 * keep being served, and `server.shutdown()` runs only after an idle grace.
 *
 * Linux only, and it needs what Deno grants with -A: /proc (to find the fd) and FFI (for libc's
 * shutdown). Where either is missing, `stopListener` returns false and the caller falls back to
 * `server.shutdown()` straight away.
 */
import { Deno } from "./deno-api.ts";

const SHUT_RD = 0;
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

interface FfiDeno {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): {
    symbols: { shutdown(fd: number, how: number): number };
  };
  readDirSync(path: string): Iterable<{ name: string }>;
  readLinkSync(path: string): string;
}

let shutdownFn: ((fd: number, how: number) => number) | null | undefined;

function libcShutdown(): ((fd: number, how: number) => number) | null {
  if (shutdownFn !== undefined) return shutdownFn;
  shutdownFn = null;
  const ffi = Deno as unknown as FfiDeno;
  if (Deno.build.os !== "linux" || typeof ffi.dlopen !== "function") return null;
  for (const name of LIBC_NAMES) {
    try {
      const lib = ffi.dlopen(name, { shutdown: { parameters: ["i32", "i32"], result: "i32" } });
      shutdownFn = (fd, how) => lib.symbols.shutdown(fd, how);
      break;
    } catch {
      // not this libc, or no --allow-ffi
    }
  }
  return shutdownFn;
}

/** This process's listening TCP socket on `port`, as an fd (via /proc/net/tcp* and /proc/self/fd). */
function listenerFd(port: number): number | undefined {
  const ffi = Deno as unknown as FfiDeno;
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] local address, cols[3] state (0A = LISTEN), cols[9] inode
      if (cols.length > 9 && cols[1]?.endsWith(hexPort) && cols[3] === "0A") inodes.add(cols[9] as string);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of ffi.readDirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(ffi.readLinkSync(`/proc/self/fd/${entry.name}`));
      if (m && inodes.has(m[1] as string)) return Number(entry.name);
    } catch {
      // fd closed meanwhile
    }
  }
  return undefined;
}

/** Whether stopListener can work here (Linux, libc reachable through FFI, /proc readable). */
export function canStopListenerAlone(): boolean {
  try {
    if (!libcShutdown()) return false;
    Deno.readTextFileSync("/proc/net/tcp");
    return true;
  } catch {
    return false;
  }
}

/** Stop accepting on this process's listener for `port`; false when that is not possible here. */
export function stopListener(port: number): boolean {
  try {
    const shutdown = libcShutdown();
    if (!shutdown) return false;
    const fd = listenerFd(port);
    if (fd === undefined) return false;
    return shutdown(fd, SHUT_RD) === 0;
  } catch {
    return false;
  }
}

/** Deno.serve's accept loop reports the stopped listener as this rejection; it is expected. */
export function isStoppedListenerError(reason: unknown): boolean {
  const msg = reason instanceof Error ? reason.message : String(reason);
  return /Invalid argument \(os error 22\)/.test(msg);
}
