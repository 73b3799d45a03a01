/**
 * The core's request limits on Node: its http server has a knob for each. `headersTimeout` (time to
 * the end of the head, a 408 and close; Node checks it every `connectionsCheckingInterval`, 30 s by
 * default, so it is checked here a few times per timeout), `keepAliveTimeout`, `maxHeaderSize` (a 431).
 * Node answers a request without Host itself (400, `requireHostHeader`). Bodies have no knob: the
 * core's pipeline refuses a large Content-Length and counts chunked bodies (parserLimits), reading
 * the head from the IncomingMessage's rawHeaders.
 */
import type { IncomingMessage, ServerOptions } from "node:http";
import type { ParserLimits, RequestLimits } from "../../src/worker/limits.ts";

export const nodeParserLimits: ParserLimits = {
  headerSize: true,
  chunkedBody: false,
  host: false,
  // The parser's own flat list: reading @hono/node-server's Request.headers would build a Headers.
  headerList: (_request, extras) => (extras as { incoming?: IncomingMessage } | undefined)?.incoming?.rawHeaders ?? null,
};

/** Node's default time to receive a whole request (body included), kept unless the header timeout is longer. */
const NODE_REQUEST_TIMEOUT_MS = 300_000;

export function nodeServerOptions(limits: RequestLimits): ServerOptions {
  return {
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: Math.max(NODE_REQUEST_TIMEOUT_MS, limits.headerTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headerTimeoutMs / 8))),
    maxHeaderSize: limits.maxHeaderBytes,
    requireHostHeader: true,
  };
}
