/**
 * The HTTP side of a Node worker: @hono/node-server's request listener around the core pipeline,
 * plus the drain mechanics that are Node's own:
 *  - `Connection: close` from drain on, also for in-flight responses whose headers are unsent
 *    (`shouldKeepAlive = false` makes Node write it and close after the response);
 *  - stop accepting with net.Server#close, which skips http.Server#close's idle reaping (the race
 *    that resets a kept-alive request on its way in), then wait until the cluster primary confirms
 *    it hands this worker no more connections (pitfall 4: never exit while one may be in transit);
 *  - idle kept-alive sockets closed only after the core's idle grace, and again every few hundred
 *    ms after it. The accept grace does not apply: net.Server#close leaves the idle sockets alone.
 * With TLS the server is tls-server.ts's (HTTP/2 and HTTP/1.1), which does the idle and GOAWAY parts.
 */

import cluster from "node:cluster";
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { Server as NetServer } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { DrainOrder, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { listenFailure } from "../../src/errors.ts";
import { nodeServerOptions } from "./limits.ts";
import { type NodeRequest, type NodeResponse, type NodeWebServer, secureServer } from "./tls-server.ts";
import { nodeWebSockets, remoteAddrOf } from "./websocket.ts";

/** After the idle grace, idle kept-alive sockets are closed again this often (new ones go idle). */
const IDLE_SWEEP_MS = 250;

class NodeContext {
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
  constructor(incoming: IncomingMessage, outgoing: ServerResponse) {
    this.incoming = incoming;
    this.outgoing = outgoing;
  }
  get remoteAddr() {
    return remoteAddrOf(this.incoming);
  }
}

export interface NodeServeHooks {
  /** Resolves once the supervisor side no longer routes connections to this worker. */
  confirmStopped(): Promise<void>;
}

export function serveNode(opts: ServeOptions, hooks: NodeServeHooks): Promise<ServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  const listener = getRequestListener(
    (request, env) => handle(request, new NodeContext(env.incoming as IncomingMessage, env.outgoing as ServerResponse) as never),
    // Without it @hono/node-server answers a request without Host (legal in HTTP/1.0) 400 itself,
    // before the health path: the core's Host rule (src/worker/limits.ts) decides instead.
    { hostname: "localhost" },
  );
  let draining = false;
  const open = new Set<NodeResponse>();
  const onClose = function (this: NodeResponse) {
    open.delete(this);
    requestFinished();
  };
  const onRequest = (req: NodeRequest, res: NodeResponse) => {
    requestStarted();
    open.add(res);
    // `on`, not `once`: a response closes once, and once's wrapper is an allocation per request.
    res.on("close", onClose);
    if (draining) (res as ServerResponse).shouldKeepAlive = false;
    void listener(req, res);
  };
  const web: NodeWebServer = opts.tls
    ? secureServer(opts.tls, opts.limits, onRequest)
    : plainServer(onRequest, nodeServerOptions(opts.limits));
  const server = web.server;
  // With TLS, an Http2SecureServer({ allowHTTP1 }) emits `upgrade` for HTTP/1.1 upgrades as http.Server does.
  const webSockets = nodeWebSockets(server as Server, opts.webSocket, handle, opts.socketOpened, opts.socketClosed);
  let connections = 0;
  server.on("connection", (socket) => {
    connections++;
    socket.once("close", () => connections--);
  });

  let sweep: ReturnType<typeof setInterval> | undefined;
  let order: (DrainOrder & { at: number }) | undefined;
  let stopped: Promise<void> | undefined;
  const closeIdleNow = () => web.closeIdle();

  return new Promise<ServerHandle>((resolve, reject) => {
    const target = opts.listen;
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenFailure(target, err.message, err.code === "EADDRINUSE")));
    const listening = () => {
      // An app that calls process.exit(): tell the primary first (the write usually leaves at once),
      // so it stops handing this dying process connections that nobody would ever answer.
      process.once("exit", () => {
        if (server.listening) NetServer.prototype.close.call(server);
      });
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        port,
        drain(next) {
          order = { ...next, at: order?.at ?? Date.now() };
          if (draining) return;
          draining = true;
          for (const res of open) if (!res.headersSent) (res as ServerResponse).shouldKeepAlive = false;
          web.draining();
          NetServer.prototype.close.call(server);
          stopped = hooks.confirmStopped();
        },
        async stopAccepting() {
          await stopped;
        },
        closeIdle() {
          if (sweep || !order) return;
          const wait = Math.max(0, order.at + order.idleGraceMs - Date.now());
          sweep = setTimeout(() => {
            closeIdleNow();
            sweep = setInterval(closeIdleNow, IDLE_SWEEP_MS);
          }, wait) as unknown as ReturnType<typeof setInterval>;
        },
        closeAll() {
          web.closeAll();
        },
        connections: () => connections,
        closeWebSockets: webSockets.closeAll,
      });
    };
    if (target.kind === "fd") return listenOnInheritedFd(server, target.fd, listening);
    // exclusive: false lets the cluster primary own one listening socket for every worker (pitfall 5);
    // on a unix socket too, keyed by the path, so every generation binding the same private name
    // joins the one socket the primary already has.
    const where = target.kind === "tcp" ? { host: target.host, port: target.port } : { path: target.bindPath ?? target.path };
    server.listen({ ...where, exclusive: false }, listening);
  });
}

/**
 * Socket activation: the inherited socket is this worker's own fd (adapter.ts passes it in stdio),
 * and the worker accepts on it itself, beside its siblings on the same socket. Node's cluster worker
 * ignores `exclusive` for `listen({ fd })` and asks the primary, whose round-robin handle closes the
 * primary's copy of the socket once its last worker leaves (a crash of the only worker, a
 * stop-then-start reload) and resets the connections it accepted but had not handed out; listening
 * as the primary would (one synchronous call) keeps the primary out of it.
 */
function listenOnInheritedFd(server: NetServer, fd: number, listening: () => void): void {
  const c = cluster as { isPrimary: boolean };
  const was = c.isPrimary;
  c.isPrimary = true;
  try {
    server.listen({ fd }, listening);
  } finally {
    c.isPrimary = was;
  }
}

/** Plain HTTP: node:http's server, whose own idle and close-all mechanics serve the drain. */
function plainServer(onRequest: (req: IncomingMessage, res: ServerResponse) => void, options: ServerOptions): NodeWebServer {
  const server = createServer(options, onRequest);
  return {
    server,
    draining() {},
    closeIdle: () => server.closeIdleConnections(),
    closeAll: () => server.closeAllConnections(),
  };
}
