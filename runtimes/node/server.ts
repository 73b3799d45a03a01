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
 */

import cluster from "node:cluster";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { DrainOrder, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { listenFailure } from "../../src/errors.ts";
import { nodeServerOptions } from "./limits.ts";

/** After the idle grace, idle kept-alive sockets are closed again this often (new ones go idle). */
const IDLE_SWEEP_MS = 250;

class NodeContext {
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
  constructor(incoming: IncomingMessage, outgoing: ServerResponse) {
    this.incoming = incoming;
    this.outgoing = outgoing;
  }
  abortConnection(): void {
    this.outgoing.destroy();
  }
  get remoteAddr() {
    const s = this.incoming.socket;
    // A unix socket's client has no address (remoteAddress is undefined there).
    if (s.remoteAddress === undefined && s.remotePort === undefined) return { transport: "unix" as const, path: "" };
    return { transport: "tcp" as const, hostname: s.remoteAddress ?? "", port: s.remotePort ?? 0 };
  }
}

export interface NodeServeHooks {
  /** Resolves once the supervisor side no longer routes connections to this worker. */
  confirmStopped(): Promise<void>;
}

export function serveNode(opts: ServeOptions, hooks: NodeServeHooks): Promise<ServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  const listener = getRequestListener((request, env) =>
    handle(request, new NodeContext(env.incoming as IncomingMessage, env.outgoing as ServerResponse) as never),
  );
  let draining = false;
  const open = new Set<ServerResponse>();
  const onClose = function (this: ServerResponse) {
    open.delete(this);
    requestFinished();
  };
  const server: Server = createServer(nodeServerOptions(opts.limits), (req, res) => {
    requestStarted();
    open.add(res);
    res.once("close", onClose);
    if (draining) res.shouldKeepAlive = false;
    void listener(req, res);
  });
  let connections = 0;
  server.on("connection", (socket) => {
    connections++;
    socket.once("close", () => connections--);
  });

  let sweep: ReturnType<typeof setInterval> | undefined;
  let order: (DrainOrder & { at: number }) | undefined;
  let stopped: Promise<void> | undefined;
  const closeIdleNow = () => server.closeIdleConnections();

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
          for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
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
          server.closeAllConnections();
        },
        connections: () => connections,
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
function listenOnInheritedFd(server: Server, fd: number, listening: () => void): void {
  const c = cluster as { isPrimary: boolean };
  const was = c.isPrimary;
  c.isPrimary = true;
  try {
    server.listen({ fd }, listening);
  } finally {
    c.isPrimary = was;
  }
}
