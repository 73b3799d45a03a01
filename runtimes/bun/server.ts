/**
 * The HTTP side of a Bun worker: `Bun.serve({ reusePort: true })` around the core pipeline, with the
 * drain order of RUNTIMES.md §(b), which avoids Bun's idle-reaping race (pitfall 1):
 *  1. markDraining: every response from now on carries `Connection: close` (including in-flight ones,
 *     whose headers are only written when the handler returns), so kept-alive clients leave after
 *     their next response;
 *  2. stopAccepting: on a reload, keep accepting for ACCEPT_GRACE_MS (the new generation shares the
 *     port, so most new connections already go there; those that still come here get their answer
 *     with `Connection: close`), then `server.stop()` without force: the listener closes, idle
 *     kept-alive sockets (by now idle for a whole grace) close, requests in flight finish. On a
 *     shutdown (nobody else will take the port) stop at once, so new connections are refused;
 *  3. closeAll at the deadline: `server.stop(true)`.
 * A request counts as in flight from arrival until its response is returned, or, for a streaming
 * body, until the stream ends or is cancelled (stream-mark.ts tells which responses stream).
 */
import type { RequestExtras, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { errors } from "../../src/errors.ts";
import { Bun, type BunServer } from "./bun-api.ts";
import { isStreaming, OriginalResponse } from "./stream-mark.ts";

/** How long a reload-draining worker keeps accepting (answering with `Connection: close`). */
export const ACCEPT_GRACE_MS = 1_000;

class BunContext {
  readonly server: BunServer;
  readonly request: Request;
  #addr: RequestExtras["remoteAddr"] | undefined;
  constructor(request: Request, server: BunServer) {
    this.request = request;
    this.server = server;
  }
  /** Deno's shape, from `server.requestIP` (looked up only when the app asks). */
  get remoteAddr(): RequestExtras["remoteAddr"] {
    if (!this.#addr) {
      const ip = this.server.requestIP(this.request);
      this.#addr = { transport: "tcp", hostname: ip?.address ?? "", port: ip?.port ?? 0 };
    }
    return this.#addr;
  }
}

export interface BunServerHandle extends ServerHandle {
  /** A shutdown was ordered: end the accept grace now (the port must refuse new connections). */
  stopListenerNow(): void;
}

export function serveBun(opts: ServeOptions, reusePort: boolean): Promise<BunServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  let draining = false;
  let drainStarted = 0;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  let cutGrace: (() => void) | undefined;
  let shutdownNow = false;

  const withClose = (res: Response): Response => {
    try {
      res.headers.set("connection", "close");
      return res;
    } catch {
      // immutable headers (a fetch() response, Response.redirect): copy them
      const headers = new Headers(res.headers);
      headers.set("connection", "close");
      return new OriginalResponse(res.body, { status: res.status, statusText: res.statusText, headers });
    }
  };

  const countBody = (res: Response): Response => {
    const body = res.body as ReadableStream<Uint8Array>;
    const reader = body.getReader();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
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

  const respond = (res: Response): Response => {
    if (draining) res = withClose(res);
    if (isStreaming(res) && res.body !== null) return countBody(res);
    requestFinished();
    return res;
  };
  const failed = (err: unknown): never => {
    requestFinished();
    throw err;
  };

  let server: BunServer;
  try {
    server = Bun.serve({
      hostname: opts.host,
      port: opts.port,
      reusePort,
      // Bun's default (10 s) also cuts a request whose handler is silent that long; pounce has its
      // own request_timeout. Idle kept-alive sockets still go at drain time (stop()).
      idleTimeout: 0,
      fetch(request, srv) {
        requestStarted();
        let res: Response | Promise<Response>;
        try {
          res = handle(request, new BunContext(request, srv) as unknown as RequestExtras);
        } catch (err) {
          return failed(err);
        }
        return res instanceof Promise ? res.then(respond, failed) : respond(res);
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const inUse = /in use|EADDRINUSE/i.test(message) || (err as { code?: string })?.code === "EADDRINUSE";
    return Promise.reject(inUse ? errors.portInUse(opts.host, opts.port) : errors.listenFailed(opts.host, opts.port, message));
  }

  const stop = (): void => {
    if (stopping) return;
    stopping = server.stop(false).then(
      () => {
        stopped = true;
      },
      () => {
        stopped = true;
      },
    );
  };

  return Promise.resolve({
    port: server.port,
    markDraining() {
      if (draining) return;
      draining = true;
      drainStarted = Date.now();
    },
    async stopAccepting() {
      if (!shutdownNow) {
        const wait = Math.max(0, drainStarted + ACCEPT_GRACE_MS - Date.now());
        if (wait > 0)
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            cutGrace = () => {
              clearTimeout(t);
              resolve();
            };
          });
      }
      stop();
    },
    stopListenerNow() {
      shutdownNow = true;
      if (cutGrace) cutGrace();
      else if (draining) stop();
    },
    closeIdle() {
      // stop() has closed the kept-alive sockets that were idle; Bun closes the others after their
      // response (they carry Connection: close). Nothing to do before stop().
      if (stopping) server.closeIdleConnections?.();
    },
    closeAll() {
      void server.stop(true).catch(() => {});
    },
    connections() {
      if (stopped) return 0;
      return Math.max(1, server.pendingRequests);
    },
  });
}
