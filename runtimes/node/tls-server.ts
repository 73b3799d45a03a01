/**
 * Node's HTTPS server: `http2.createSecureServer({ allowHTTP1: true })`, so HTTP/2 and HTTP/1.1 are
 * negotiated by ALPN on one listener, with the PEM texts the supervisor checked. @hono/node-server's
 * request listener serves both kinds of request (its Http2Bindings), as it does for `serve({
 * createServer: http2.createSecureServer })`.
 *
 * The drain mechanics http.Server has built in, done here by hand (an Http2SecureServer has no
 * closeIdleConnections/closeAllConnections):
 *  - GOAWAY in two steps, as RFC 9113 §6.8 advises (and Deno's server does): the moment the drain
 *    starts every HTTP/2 session (and one that arrives after) gets a GOAWAY naming the highest stream
 *    id and a PING, so the client opens no new streams here; the PING's answer proves a round trip,
 *    and then the final GOAWAY goes, with a PING behind it, and the session closes once that is
 *    answered (finalGoAway says why; the streams it has finish first).
 *    Streams the client sent while the first GOAWAY was on its way are not served even so: nghttp2
 *    ignores every new stream once any GOAWAY has gone out (Node offers no
 *    nghttp2_submit_shutdown_notice, the one that does not), and the final GOAWAY's last-stream-id
 *    leaves them out, so the client sees them refused (REFUSED_STREAM: never processed, safe to send
 *    again; h2load counts them errored, test/http2.test.ts tells them from lost ones);
 *  - an HTTP/1.1 socket with no request in flight is idle, and closed by `closeIdle()` (an upgraded
 *    one is not: its WebSocket is closed by the core's drain, with its code);
 *  - `closeAll()` destroys every session and socket.
 *
 * The core's request limits (limits.ts) apply here too: the TLS handshake must end within the header
 * timeout; HTTP/1.1 reads node:http's timeouts, head size and Host rule from the server object (an
 * Http2SecureServer takes no such options, only fields); an HTTP/2 session with no open stream is
 * closed after the keep-alive timeout, and its header list is bounded by the head size.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  constants,
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import type { Server as NetServer, Socket } from "node:net";
import type { TlsMaterial } from "../../src/tls/material.ts";
import type { RequestLimits } from "../../src/worker/limits.ts";
import { nodeServerOptions } from "./limits.ts";

export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** A listening server with the mechanics server.ts drives, whether plain HTTP or HTTPS. */
export interface NodeWebServer {
  readonly server: NetServer;
  /** The drain began: tell HTTP/2 clients (GOAWAY). */
  draining(): void;
  closeIdle(): void;
  closeAll(): void;
}

/** What the drain needs of an HTTP/2 session. */
interface H2Session {
  /** Streams open now. */
  open: number;
  /** The highest stream id handed to the app (nghttp2's last processed one). */
  last: number;
  finalSent: boolean;
}

/** The first GOAWAY (no new streams, but every stream id still acceptable: 2^31 - 1) and a PING;
 *  its answer, one round trip later, sends the final GOAWAY. */
function goAway(session: ServerHttp2Session, h2: H2Session): void {
  if (session.closed || session.destroyed) return;
  session.goaway(constants.NGHTTP2_NO_ERROR, 2 ** 31 - 1);
  if (!session.ping(() => finalGoAway(session, h2))) finalGoAway(session, h2);
}

/**
 * The final GOAWAY, naming the last stream served, and a PING behind it: only once the client has
 * answered that PING (so it has read the GOAWAY before it) is the session closed. `session.close()`
 * alone sends its GOAWAY and destroys a session with no open stream at once, and on Node 20 the
 * socket could close before that frame left: a client then saw its streams sent after the first
 * GOAWAY end with no answer and no refusal (16 in one CI run, test/http2.test.ts).
 */
function finalGoAway(session: ServerHttp2Session, h2: H2Session): void {
  if (session.closed || session.destroyed || h2.finalSent) return;
  h2.finalSent = true;
  session.goaway(constants.NGHTTP2_NO_ERROR, h2.last);
  const close = () => {
    if (!session.closed && !session.destroyed) session.close();
  };
  if (!session.ping(close)) close();
}

export function secureServer(
  tls: TlsMaterial,
  limits: RequestLimits,
  onRequest: (req: NodeRequest, res: NodeResponse) => void,
): NodeWebServer {
  /** HTTP/1.1 sockets, with their requests in flight. */
  const http1 = new Map<Socket, number>();
  const sessions = new Map<ServerHttp2Session, H2Session>();
  let goingAway = false;
  const server = createSecureServer(
    {
      allowHTTP1: true,
      handshakeTimeout: limits.headerTimeoutMs,
      settings: { maxHeaderListSize: limits.maxHeaderBytes },
      cert: tls.cert,
      key: tls.key,
      ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
      ...(tls.ca ? { ca: tls.ca } : {}),
    },
    (req, res) => {
      const socket = req.httpVersionMajor < 2 ? (req.socket as Socket) : undefined;
      if (socket && http1.has(socket)) {
        http1.set(socket, (http1.get(socket) ?? 0) + 1);
        res.once("close", () => {
          const n = http1.get(socket);
          if (n !== undefined) http1.set(socket, n - 1);
        });
      }
      onRequest(req, res);
    },
  );
  // HTTP/1.1 connections are node:http's connection handling on this server, which reads its
  // timeouts, head size and Host rule from the server object (set before listen: the connection
  // check starts on 'listening'); without them a silent TLS client was held for ever (probed).
  Object.assign(server, nodeServerOptions(limits));
  server.on("secureConnection", (socket) => {
    if (socket.alpnProtocol === "h2") return;
    http1.set(socket, 0);
    socket.once("close", () => http1.delete(socket));
  });
  // An upgraded socket (a WebSocket) has left HTTP: it is no idle HTTP/1.1 socket to close. Watched
  // only once something handles upgrades: a listener of this file's own would take every upgrade
  // request away from the app's fetch (node:http hands it to `upgrade` listeners when there are any).
  let watchingUpgrades = false;
  server.on("newListener", (event) => {
    if (event !== "upgrade" || watchingUpgrades) return;
    watchingUpgrades = true;
    server.on("upgrade", (_req: unknown, socket: Socket) => http1.delete(socket));
  });
  server.on("session", (session) => {
    const h2: H2Session = { open: 0, last: 0, finalSent: false };
    sessions.set(session, h2);
    // Idle for the keep-alive timeout (no frame either way) with no open stream: closed; a quiet
    // stream (SSE) keeps its session. Per session: the server's own timeout would also apply to
    // HTTP/1.1 sockets, and cut a quiet HTTPS/1.1 stream.
    session.setTimeout(limits.keepAliveTimeoutMs, () => {
      if (h2.open === 0) session.close();
    });
    session.on("stream", (stream) => {
      h2.last = Math.max(h2.last, stream.id ?? 0);
      h2.open++;
      stream.once("close", () => h2.open--);
    });
    session.once("close", () => sessions.delete(session));
    if (goingAway) goAway(session, h2);
  });
  return {
    server,
    draining() {
      goingAway = true;
      for (const [s, h2] of sessions) goAway(s, h2);
    },
    closeIdle() {
      for (const [s, h2] of sessions) finalGoAway(s, h2);
      for (const [socket, inFlight] of http1) if (inFlight === 0) socket.destroy();
    },
    closeAll() {
      for (const s of sessions.keys()) s.destroy();
      for (const socket of http1.keys()) socket.destroy();
    },
  };
}
