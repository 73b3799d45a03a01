/**
 * Deno's unix datagram socket and CLOCK_MONOTONIC for the supervisor: libc through Deno's FFI, which
 * needs --allow-ffi (part of -A). `Deno.listenDatagram({ transport: "unixpacket" })` exists only under
 * --unstable-net, which the supervisor does not get (its workers do), gives no sender credentials,
 * and its "unixgram" spelling throws in Deno 2.9 ("transport is not defined"); Deno's process.hrtime
 * does not count CLOCK_MONOTONIC. The mechanics are shared with Bun in ../_shared/unix-datagram-ffi.ts.
 */
import type { DatagramSupport } from "../../src/systemd/datagram.ts";
import { LIBC_NAMES } from "../_shared/listener-fd.ts";
import { type DatagramCalls, ffiSupported, ffiUnixDatagram, monotonicUsec } from "../_shared/unix-datagram-ffi.ts";
import { Deno } from "./deno-api.ts";

type Fn = (...a: unknown[]) => number | bigint | unknown;
interface FfiDeno {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, Fn> };
  UnsafePointer: { of(view: ArrayBufferView): unknown; value(p: unknown): bigint | number };
  UnsafePointerView: new (p: unknown) => { getInt32(offset?: number): number };
}

function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function load(): DatagramCalls | string {
  const unsupported = ffiSupported(Deno.build.os, process.arch);
  if (unsupported) return unsupported;
  const ffi = Deno as unknown as FfiDeno;
  if (!ffiGranted() || typeof ffi.dlopen !== "function")
    return "Deno's supervisor reaches unix datagram sockets through FFI: run it with --allow-ffi (or -A)";
  for (const name of LIBC_NAMES) {
    try {
      const c = ffi.dlopen(name, {
        socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
        bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
        sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
        recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
        setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
        close: { parameters: ["i32"], result: "i32" },
        clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
        __errno_location: { parameters: [], result: "pointer" },
      }).symbols;
      const n = (v: unknown) => Number(v);
      return {
        socket: (d, t, pr) => n(c.socket!(d, t, pr)),
        bind: (fd, addr, len) => n(c.bind!(fd, addr, len)),
        sendto: (fd, buf, len, flags, addr, addrLen) => n(c.sendto!(fd, buf, BigInt(len), flags, addr, addrLen)),
        recvmsg: (fd, msghdr, flags) => n(c.recvmsg!(fd, msghdr, flags)),
        setsockopt: (fd, level, opt, value, len) => n(c.setsockopt!(fd, level, opt, value, len)),
        close: (fd) => n(c.close!(fd)),
        clockGettime: (clock, ts) => n(c.clock_gettime!(clock, ts)),
        errno: () => new ffi.UnsafePointerView(c.__errno_location!()).getInt32(0),
        address: (view) => BigInt(ffi.UnsafePointer.value(ffi.UnsafePointer.of(view))),
      };
    } catch {
      // not this libc
    }
  }
  return `libc could not be loaded through Deno's FFI (tried ${LIBC_NAMES.join(", ")})`;
}

export function denoUnixDatagram(): DatagramSupport {
  const calls = load();
  if (typeof calls === "string") return { unixDatagramUnavailableReason: calls };
  return { unixDatagram: ffiUnixDatagram(calls), monotonicUsec: () => monotonicUsec(calls) };
}
