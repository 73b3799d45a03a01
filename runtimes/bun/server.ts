/**
 * The HTTP side of a Bun worker: `Bun.serve({ reusePort: true })` around the core pipeline, and the
 * drain mechanics of separate SO_REUSEPORT listeners (DESIGN.md reload step 4, RUNTIMES.md §(b)):
 *  1. markDraining: every response from now on carries `Connection: close` (including in-flight
 *     ones, whose headers are only written when the handler returns), so kept-alive clients leave
 *     after their next response;
 *  2. stopAccepting: close the listener alone (listener.ts), so new connections go to the new
 *     generation at once (or are refused on a shutdown) while every connection already here is served;
 *  3. after an idle grace (IDLE_GRACE_MS from the drain), `server.stop()` without force: it closes
 *     the kept-alive sockets still idle and lets the requests in flight finish;
 *  4. at the deadline, `server.stop(true)`.
 * Where the listener cannot be closed alone (off Linux, no bun:ffi or /proc): on a reload keep
 * accepting, answering with `Connection: close`, for ACCEPT_GRACE_MS, then `stop()`; on a shutdown
 * `stop()` at once (nobody else will listen on the port, new connections must be refused).
 * A request counts as in flight from arrival until its response is returned, or, for a streaming
 * body, until the stream ends or is cancelled (stream-mark.ts tells which responses stream).
 */

import type { RequestExtras, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { errors } from "../../src/errors.ts";
import { withConnectionClose } from "../_shared/connection-close.ts";
import { Bun, type BunServer } from "./bun-api.ts";
import { listenerControl, openConnections } from "./listener.ts";
import { isStreaming, OriginalResponse } from "./stream-mark.ts";

/** Fallback only: how long a reload-draining worker keeps accepting (answering `Connection: close`). */
export const ACCEPT_GRACE_MS = 1_000;
/** After the listener closed: how long kept-alive sockets with no request in progress are left
 *  open (a request may be on its way on them) before `stop()` closes them. */
export const IDLE_GRACE_MS = 1_000;
/** How often, during that grace, the worker looks whether any connection is left. */
const IDLE_POLL_MS = 50;

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
  /** A drain order arrived: close the listener now where it can be closed alone; on a shutdown
   *  (the port must refuse new connections) also end the fallback's accept grace. */
  stopListenerNow(shutdown: boolean): void;
}

export async function serveBun(opts: ServeOptions, reusePort: boolean): Promise<BunServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  let draining = false;
  let drainStarted = 0;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  let cutGrace: (() => void) | undefined;
  let shutdownNow = false;

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
    if (draining) res = withConnectionClose(res, OriginalResponse);
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
      // Bun's own idleTimeout (default 10 s) closes only kept-alive sockets with no request: a
      // silent handler or a stream with long pauses is not cut (measured), so it stays as it is.
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
    throw inUse ? errors.portInUse(opts.host, opts.port) : errors.listenFailed(opts.host, opts.port, message);
  }

  // Read once: Bun answers `server.port` from the listening fd, which the drain replaces.
  const port = server.port;
  const control = await listenerControl(port);
  let listenerClosed = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const stop = (): void => {
    if (stopping) return;
    listenerClosed = true;
    clearTimeout(idleTimer);
    const settle = () => {
      stopped = true;
    };
    stopping = server.stop(false).then(settle, settle);
  };
  /** Close the listener now; false when only stop() can (the fallback). */
  const closeListener = (): boolean => {
    if (listenerClosed) return true;
    if (control?.detach()) {
      listenerClosed = true;
      return true;
    }
    return false;
  };

  return {
    port,
    markDraining() {
      if (draining) return;
      draining = true;
      drainStarted = Date.now();
    },
    async stopAccepting() {
      if (closeListener()) return;
      if (!shutdownNow) {
        // Fallback: stop() will also close idle sockets, so first let kept-alive clients see
        // `Connection: close` on a response while new connections are still accepted.
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
    stopListenerNow(shutdown) {
      if (shutdown) shutdownNow = true;
      // Where the listener can be closed alone, do it now, drain or not (the drain follows at once).
      if (closeListener() || !shutdown || !draining) return;
      if (cutGrace) cutGrace();
      else stop();
    },
    closeIdle() {
      if (stopping || idleTimer) return;
      // stop() at the end of the idle grace, or as soon as no connection is left to wait for
      // (kept-alive clients leave after their `Connection: close` response).
      const graceEnd = drainStarted + IDLE_GRACE_MS;
      const check = () => {
        if (stopping) return;
        const open = server.pendingRequests === 0 ? openConnections(port) : undefined;
        if (Date.now() >= graceEnd || open === 0) return stop();
        idleTimer = setTimeout(check, Math.min(IDLE_POLL_MS, Math.max(0, graceEnd - Date.now())));
      };
      check();
    },
    closeAll() {
      listenerClosed = true;
      void server.stop(true).catch(() => {});
    },
    connections() {
      // Until stop() has resolved, some response may still be on its way out: report one at least,
      // so the core lingers (bounded) before the process exits.
      if (stopped) return 0;
      return Math.max(1, server.pendingRequests, openConnections(port) ?? 0);
    },
  };
}
