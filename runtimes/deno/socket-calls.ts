/**
 * libc's socket calls through Deno's FFI, for closing a Deno.serve listener alone
 * (../_shared/listener-fd.ts has the technique and why). Linux only, and it needs --allow-ffi (part
 * of -A); without it this is null and the drain falls back to `server.shutdown()` after a grace.
 */
import { LIBC_NAMES, type SocketCalls } from "../_shared/listener-fd.ts";
import { Deno } from "./deno-api.ts";

interface FfiDeno {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: SocketCalls };
}

let calls: SocketCalls | null | undefined;

export function denoSocketCalls(): SocketCalls | null {
  if (calls !== undefined) return calls;
  calls = null;
  const ffi = Deno as unknown as FfiDeno;
  if (Deno.build.os !== "linux" || typeof ffi.dlopen !== "function") return null;
  for (const name of LIBC_NAMES) {
    try {
      calls = ffi.dlopen(name, {
        socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
        dup2: { parameters: ["i32", "i32"], result: "i32" },
        listen: { parameters: ["i32", "i32"], result: "i32" },
        close: { parameters: ["i32"], result: "i32" },
        getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
        getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
        shutdown: { parameters: ["i32", "i32"], result: "i32" },
        getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
        setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "i32"], result: "i32" },
        poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
      }).symbols;
      break;
    } catch {
      // not this libc, or no --allow-ffi
    }
  }
  return calls;
}
