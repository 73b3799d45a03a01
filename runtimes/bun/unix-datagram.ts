/**
 * Bun's unix datagram socket and CLOCK_MONOTONIC: libc through bun:ffi (Bun has no AF_UNIX datagram
 * API, and its process.hrtime does not count CLOCK_MONOTONIC). The mechanics are shared with Deno in
 * ../_shared/unix-datagram-ffi.ts.
 */
import { createRequire } from "node:module";
import type { DatagramSupport } from "../../src/systemd/datagram.ts";
import { LIBC_NAMES } from "../_shared/listener-fd.ts";
import { type DatagramCalls, ffiSupported, ffiUnixDatagram, monotonicUsec } from "../_shared/unix-datagram-ffi.ts";

interface BunFfi {
  dlopen(
    name: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...a: unknown[]) => number> };
  ptr(view: ArrayBufferView): number;
  read: { i32(ptr: number, offset?: number): number };
}

function load(): DatagramCalls | string {
  const unsupported = ffiSupported(process.platform, process.arch);
  if (unsupported) return unsupported;
  let ffi: BunFfi;
  try {
    ffi = createRequire(import.meta.url)("bun:ffi") as BunFfi;
  } catch (err) {
    return `bun:ffi is not available (${(err as Error).message})`;
  }
  for (const name of LIBC_NAMES) {
    try {
      const c = ffi.dlopen(name, {
        socket: { args: ["i32", "i32", "i32"], returns: "i32" },
        bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
        sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64_fast" },
        recvmsg: { args: ["i32", "ptr", "i32"], returns: "i64_fast" },
        setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
        close: { args: ["i32"], returns: "i32" },
        clock_gettime: { args: ["i32", "ptr"], returns: "i32" },
        __errno_location: { args: [], returns: "ptr" },
      }).symbols;
      const p = ffi.ptr;
      return {
        socket: (d, t, pr) => c.socket!(d, t, pr),
        bind: (fd, addr, len) => c.bind!(fd, p(addr), len),
        sendto: (fd, buf, len, flags, addr, addrLen) => Number(c.sendto!(fd, p(buf), len, flags, p(addr), addrLen)),
        recvmsg: (fd, msghdr, flags) => Number(c.recvmsg!(fd, p(msghdr), flags)),
        setsockopt: (fd, level, opt, value, len) => c.setsockopt!(fd, level, opt, p(value), len),
        close: (fd) => c.close!(fd),
        clockGettime: (clock, ts) => c.clock_gettime!(clock, p(ts)),
        errno: () => ffi.read.i32(c.__errno_location!() as number, 0),
        address: (view) => BigInt(p(view)),
      };
    } catch {
      // not this libc
    }
  }
  return `libc could not be loaded through bun:ffi (tried ${LIBC_NAMES.join(", ")})`;
}

export function bunUnixDatagram(): DatagramSupport {
  const calls = load();
  if (typeof calls === "string") return { unixDatagramUnavailableReason: calls };
  return { unixDatagram: ffiUnixDatagram(calls), monotonicUsec: () => monotonicUsec(calls) };
}
