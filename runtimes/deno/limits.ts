/**
 * The core's request limits on Deno. Deno.serve has no knob for any of them: its parser caps a head
 * at about 64 KiB (a larger one is a 400), holds a silent or half-sent connection forever and never
 * closes an idle kept-alive one. So the core's pipeline checks the head size and counts chunked
 * bodies (parserLimits; it reads the head from Deno's own list, ./header-list.ts), and both
 * timeouts are pounce's own connection tracking (../_shared/connection-reaper.ts, through Deno's
 * FFI: Linux, --allow-ffi).
 */
import type { ParserLimits, RequestLimits } from "../../src/worker/limits.ts";
import { type Reaper, startReaper } from "../_shared/connection-reaper.ts";
import type { DenoServeInfo } from "./deno-api.ts";
import { denoHeaderList } from "./header-list.ts";
import { denoSocketCalls } from "./socket-calls.ts";

/** What the connection tracking learns from a response: Deno keeps a connection whose request body
 *  was left unread even after `Connection: close` (a 413 for a large Content-Length), so such a
 *  response's connection is shut down once it has gone; a 101 (WebSocket) leaves HTTP for good. */
export interface ResponseMarks {
  closeWhenAnswered: Set<number>;
  upgraded: Set<number>;
}

export function markResponse(res: Response, info: DenoServeInfo, marks: ResponseMarks): void {
  const set =
    res.status === 101
      ? marks.upgraded
      : res.status >= 400 && res.headers.get("connection") === "close"
        ? marks.closeWhenAnswered
        : null;
  if (!set) return;
  try {
    const a = info.remoteAddr;
    if (a.transport !== "unix") set.add(a.port);
  } catch {
    // complete already
  }
}

export const denoParserLimits: ParserLimits = { headerSize: false, chunkedBody: false, host: false, headerList: denoHeaderList };

/** Track this worker's connections on `port`; `inFlight`: the requests being answered now. */
export function denoConnectionLimits(
  limits: RequestLimits,
  port: number,
  inFlight: Set<DenoServeInfo>,
  marks: ResponseMarks,
): Reaper | null {
  const calls = denoSocketCalls();
  if (!calls || port === 0) return null;
  return startReaper({
    calls,
    port,
    headerTimeoutMs: limits.headerTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    ...marks,
    busyPeers() {
      const out = new Set<number>();
      for (const info of inFlight) {
        try {
          const a = info.remoteAddr;
          if (a.transport !== "unix") out.add(a.port);
        } catch {
          // complete already
        }
      }
      return out;
    },
  });
}
