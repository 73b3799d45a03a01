/**
 * The core's request limits on Bun. Bun's own knobs: `maxRequestBodySize` (a larger Content-Length
 * or chunked body is a 413 from Bun), `--max-http-header-size` on the worker's command line (a larger
 * head is a 431), `idleTimeout` (idle kept-alive connections; whole seconds, checked every few
 * seconds). A connection that has not sent a complete head is closed by Bun after a fixed ~10 s that
 * cannot be shortened, so the header timeout (and the keep-alive one, to the second) is also pounce's
 * own connection tracking (../_shared/connection-reaper.ts, through bun:ffi on Linux).
 */
import type { ParserLimits, RequestLimits } from "../../src/worker/limits.ts";
import { type Reaper, startReaper } from "../_shared/connection-reaper.ts";
import type { BunServer } from "./bun-api.ts";
import { bunSocketCalls } from "./socket-calls.ts";

export const bunParserLimits: ParserLimits = {
  headerSize: true,
  chunkedBody: true,
  host: false,
  bodyLength: true,
  // Bun.serve has no HTTP/2: over TLS too a request without Host is HTTP/1.0, refused as on plain.
  http1Only: true,
  // Bun builds a request's url from its Host, and leaves it a bare path ("/x") without one (measured
  // on Bun 1.4.5; an empty Host also gives a bare path): an absolute url means Host was sent, so
  // the Host rule costs no Headers object (test/unit/limits.test.ts, limits.test.ts).
  hostSent: (request) => (request.url.charCodeAt(0) === 47 ? null : true),
};

/** Flags for the worker's `bun` command line. */
export function bunWorkerFlags(limits: RequestLimits): string[] {
  return [`--max-http-header-size=${limits.maxHeaderBytes}`];
}

/** Bun.serve's options for the limits. */
export function bunServeLimits(limits: RequestLimits): { maxRequestBodySize: number; idleTimeout: number } {
  // idleTimeout is whole seconds, 0 (off) to 255.
  const idle = Math.min(255, Math.max(1, Math.ceil(limits.keepAliveTimeoutMs / 1000)));
  return { maxRequestBodySize: limits.maxBodyBytes, idleTimeout: idle };
}

/** Track this worker's connections on `port`; `inFlight`: the requests being answered now. */
export async function bunConnectionLimits(
  limits: RequestLimits,
  port: number,
  server: BunServer,
  inFlight: Set<Request>,
  /** Peer ports of connections upgraded to WebSockets (never touched). */
  upgraded: Set<number>,
): Promise<Reaper | null> {
  const calls = await bunSocketCalls();
  if (!calls || port === 0) return null;
  return startReaper({
    calls,
    port,
    headerTimeoutMs: limits.headerTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    upgraded,
    busyPeers() {
      const out = new Set<number>();
      for (const request of inFlight) {
        const ip = server.requestIP(request);
        if (ip) out.add(ip.port);
      }
      return out;
    },
  });
}
