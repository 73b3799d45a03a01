/**
 * libc's socket calls through bun:ffi, for closing a Bun.serve listener alone
 * (../_shared/listener-fd.ts has the technique and why). Null off Linux or without bun:ffi.
 */
import { LIBC_NAMES, type SocketCalls } from "../_shared/listener-fd.ts";

interface BunFfi {
  dlopen(
    name: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...a: unknown[]) => number> };
  ptr(view: ArrayBufferView): unknown;
}

let calls: SocketCalls | null | undefined;

export async function bunSocketCalls(): Promise<SocketCalls | null> {
  if (calls !== undefined) return calls;
  calls = null;
  if (process.platform !== "linux") return null;
  let ffi: BunFfi;
  try {
    const specifier = "bun:ffi";
    ffi = await import(specifier);
  } catch {
    return null;
  }
  for (const name of LIBC_NAMES) {
    try {
      const c = ffi.dlopen(name, {
        socket: { args: ["i32", "i32", "i32"], returns: "i32" },
        setsockopt: { args: ["i32", "i32", "i32", "ptr", "i32"], returns: "i32" },
        getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
        getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
        getpeername: { args: ["i32", "ptr", "ptr"], returns: "i32" },
        shutdown: { args: ["i32", "i32"], returns: "i32" },
        dup2: { args: ["i32", "i32"], returns: "i32" },
        listen: { args: ["i32", "i32"], returns: "i32" },
        close: { args: ["i32"], returns: "i32" },
        poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
      }).symbols;
      const p = ffi.ptr;
      calls = {
        socket: (d, t, pr) => c.socket!(d, t, pr),
        dup2: (a, b) => c.dup2!(a, b),
        listen: (fd, backlog) => c.listen!(fd, backlog),
        close: (fd) => c.close!(fd),
        getsockname: (fd, addr, len) => c.getsockname!(fd, p(addr), p(len)),
        getpeername: (fd, addr, len) => c.getpeername!(fd, p(addr), p(len)),
        shutdown: (fd, how) => c.shutdown!(fd, how),
        getsockopt: (fd, level, opt, value, len) => c.getsockopt!(fd, level, opt, p(value), p(len)),
        setsockopt: (fd, level, opt, value, len) => c.setsockopt!(fd, level, opt, p(value), len),
        poll: (fds, nfds, timeout) => c.poll!(p(fds), nfds, timeout),
      };
      break;
    } catch {
      // not this libc
    }
  }
  return calls;
}
