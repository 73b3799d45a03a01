/**
 * The HTTP side of a Bun worker: `Bun.serve({ reusePort: true })` around the core pipeline. The
 * drain itself is ../_shared/reuse-port-drain.ts; Bun's parts are: responses marked `Connection:
 * close` once draining (including in-flight ones, whose headers are only written when the handler
 * returns); the listener closed alone (../_shared/listener-fd.ts, libc through bun:ffi); `server.stop()` without
 * force as the runtime's stop, `server.stop(true)` at the deadline.
 * A request counts as in flight from arrival until its response is returned, or, for a streaming
 * body, until the stream ends or is cancelled (stream-mark.ts tells which responses stream).
 */

import type { RequestExtras, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { listenFailure } from "../../src/errors.ts";
import { withConnectionClose } from "../_shared/connection-close.ts";
import { listenerControl } from "../_shared/listener-fd.ts";
import { ReusePortDrain } from "../_shared/reuse-port-drain.ts";
import { Bun, type BunServer } from "./bun-api.ts";
import { bunConnectionLimits, bunServeLimits } from "./limits.ts";
import { bunSocketCalls } from "./socket-calls.ts";
import { isStreaming, OriginalResponse } from "./stream-mark.ts";
import { bunTls } from "./tls.ts";
import { bunWebSockets, trackUpgrades, wasUpgraded } from "./websocket.ts";

class BunContext {
  readonly server: BunServer;
  readonly request: Request;
  #addr: RequestExtras["remoteAddr"] | undefined;
  constructor(request: Request, server: BunServer) {
    this.request = request;
    this.server = server;
  }
  upgraded(): boolean {
    return wasUpgraded(this.request);
  }
  /** Deno's shape, from `server.requestIP` (looked up only when the app asks; null on a unix socket). */
  get remoteAddr(): RequestExtras["remoteAddr"] {
    if (!this.#addr) {
      const ip = this.server.requestIP(this.request);
      this.#addr = ip ? { transport: "tcp", hostname: ip.address, port: ip.port } : { transport: "unix", path: "" };
    }
    return this.#addr;
  }
}

export async function serveBun(opts: ServeOptions, reusePort: boolean): Promise<ServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  let drainer: ReusePortDrain | undefined;
  const webSockets = bunWebSockets(opts.webSocket, opts.socketOpened, opts.socketClosed);
  const live = new Set<Request>();
  /** Peer ports of upgraded connections: the connection tracking leaves them alone. */
  const upgradedPeers = new Set<number>();
  let srv: BunServer | undefined;

  const countBody = (request: Request, res: Response): Response => {
    const body = res.body as ReadableStream<Uint8Array>;
    const reader = body.getReader();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      live.delete(request);
      requestFinished();
    };
    const counted = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            finish();
            ctrl.close();
          } else ctrl.enqueue(value);
        } catch (err) {
          finish();
          ctrl.error(err);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
    return new OriginalResponse(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };

  const respond = (request: Request, res: Response): Response => {
    if (res === undefined || wasUpgraded(request)) {
      // The app upgraded the connection (and may have answered nothing: the pipeline let it through).
      const ip = srv?.requestIP(request);
      if (ip) upgradedPeers.add(ip.port);
      live.delete(request);
      requestFinished();
      return res;
    }
    if (drainer?.draining) res = withConnectionClose(res, OriginalResponse);
    if (isStreaming(res) && res.body !== null) return countBody(request, res);
    live.delete(request);
    requestFinished();
    return res;
  };
  const failed = (request: Request): Response => {
    live.delete(request);
    requestFinished();
    // Never the error's text: Bun's own error page would show its stack to the client.
    return new Response("Internal Server Error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
  };

  const target = opts.listen;
  // The supervisor refuses socket activation here first (the adapter says canServeInheritedSocket).
  if (target.kind === "fd") throw listenFailure(target, "Bun.serve takes no fd", false);
  const where =
    target.kind === "tcp" ? { hostname: target.host, port: target.port, reusePort } : { unix: target.bindPath ?? target.path };
  let server: BunServer;
  try {
    server = Bun.serve({
      ...where,
      ...bunTls(opts.tls),
      ...(webSockets.handler ? { websocket: webSockets.handler } : {}),
      // The limits (limits.ts). Bun's idleTimeout closes only kept-alive sockets with no request: a
      // silent handler or a stream with long pauses is not cut (measured).
      ...bunServeLimits(opts.limits),
      development: false,
      fetch(request, srv) {
        requestStarted();
        live.add(request);
        let res: Response | Promise<Response>;
        try {
          res = handle(request, new BunContext(request, srv) as unknown as RequestExtras);
        } catch {
          return failed(request);
        }
        return res instanceof Promise
          ? res.then(
              (r) => respond(request, r),
              () => failed(request),
            )
          : respond(request, res);
      },
      error: () => new Response("Internal Server Error\n", { status: 500 }),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const inUse = /in use|EADDRINUSE/i.test(message) || (err as { code?: string })?.code === "EADDRINUSE";
    throw listenFailure(target, message, inUse);
  }

  trackUpgrades(server);
  srv = server;
  // Read once: Bun answers `server.port` from the listening fd, which the drain replaces.
  const port = target.kind === "tcp" ? server.port : 0;
  const control = listenerControl(
    await bunSocketCalls(),
    target.kind === "tcp" ? { kind: "tcp", port } : { kind: "unix", path: target.bindPath ?? target.path },
  );
  await bunConnectionLimits(opts.limits, port, server, live, upgradedPeers);
  const openConnections = () => control?.connections();
  const drain = new ReusePortDrain({
    closeListenerAlone: (last) => control?.detach(last) === true,
    stop: () => server.stop(false),
    held: () => (server.pendingRequests > 0 ? server.pendingRequests : openConnections()),
  });
  drainer = drain;

  return {
    port,
    drain: (order) => drain.drain(order),
    stopAccepting: () => drain.stopAccepting(),
    closeIdle: () => drain.closeIdle(),
    closeAll: () => drain.closeAll(() => void server.stop(true).catch(() => {})),
    connections: () => drain.connections(Math.max(server.pendingRequests, openConnections() ?? 0)),
    closeWebSockets: webSockets.closeAll,
  };
}
