/**
 * The request pipeline every adapter serves: health and metrics first, then the request limits
 * (limits.ts), then the app, with request_timeout, generic 500s for app errors (stack to the log
 * only), the optional access log and the optional metrics counters (src/metrics/).
 * A WebSocket upgrade reaches the app as the very Request the runtime gave (Bun's server.upgrade()
 * and Deno's upgradeWebSocket() refuse, or silently never open, a rebuilt one), outside
 * request_timeout: the handshake answers at once, and the socket's life is not a response's.
 * Kept free of allocations when no option asks for them: this is the hot path.
 */

import type { RequestExtras, ServeOptions } from "../adapter.ts";
import type { PounceApp, ServeContext } from "../app.ts";
import type { Logger } from "../log.ts";
import type { WorkerMetrics } from "../metrics/worker-metrics.ts";
import { type HealthState, healthResponse, pathOf } from "./health.ts";
import type { InFlight } from "./in-flight.ts";
import { type Admission, BodyTooLargeError, refusal } from "./limits.ts";
import { RequestTimeoutError, startDeadline } from "./request-timeout.ts";

export interface PipelineOptions {
  app: PounceApp;
  log: Logger;
  inFlight: InFlight;
  health: HealthState;
  healthCheckPath: string;
  requestTimeoutMs: number;
  accessLog: boolean;
  admission: Admission;
  worker: { id: number; generation: number };
  /** With --metrics-path: answered there, and every app request counted. */
  metrics?: WorkerMetrics;
  metricsPath?: string;
}

const PLAIN = { "content-type": "text/plain; charset=utf-8" };

export function createPipeline(opts: PipelineOptions): ServeOptions["handle"] {
  const { app, log, inFlight, health, healthCheckPath, requestTimeoutMs, accessLog, admission, worker, metrics } = opts;
  const metricsPath = metrics ? (opts.metricsPath ?? "") : "";
  const observe = metrics?.counters.observe;
  const waitUntil = (p: Promise<unknown>) => inFlight.track(Promise.resolve(p));
  const passThroughOnException = () => {};

  const failed = (request: Request, err: unknown): Response => {
    if (err instanceof RequestTimeoutError) {
      return new Response("Gateway Timeout\n", { status: 504, headers: PLAIN });
    }
    if (err instanceof BodyTooLargeError || admission.overflowed(request)) return refusal(413);
    log.error(`Unhandled error in fetch handler for ${request.method} ${pathOf(request.url)}: ${errText(err)}`, {
      event: "app_error",
      stack: err instanceof Error ? err.stack : undefined,
    });
    return new Response("Internal Server Error\n", { status: 500, headers: PLAIN });
  };

  const checked = (request: Request, res: unknown): Response => {
    if (res && typeof res === "object" && typeof (res as Response).status === "number")
      return admission.overflowed(request) ? refusal(413) : (res as Response);
    return failed(request, new TypeError(`fetch handler returned ${res === null ? "null" : typeof res}, not a Response`));
  };

  // An upgrade that ends in a 500 while the app exports no `websocket` (hono's Node helper answers
  // an empty 500 then, Bun's server.upgrade() throws): say once what is missing.
  let hinted = app.websocket !== undefined;
  const upgradeChecked = (request: Request, res: Response): Response => {
    if (hinted || res.status !== 500 || !isUpgrade(request)) return res;
    hinted = true;
    log.warn(
      `WebSocket upgrade for ${request.method} ${pathOf(request.url)} failed (500) and the app exports no \`websocket\`: ` +
        "export the runtime's WebSocket handling beside fetch (README: WebSockets)",
      { event: "websocket_export_missing" },
    );
    return res;
  };

  const logged = (request: Request, started: number, res: Response): Response => {
    log.info(`${request.method} ${pathOf(request.url)} ${res.status} ${(performance.now() - started).toFixed(1)}ms`, {
      event: "access",
      method: request.method,
      path: pathOf(request.url),
      status: res.status,
    });
    return res;
  };

  const answer = (request: Request, ctx: ServeContext, res: Response): Response => {
    // `if (server.upgrade(request)) return;` (Bun's documented shape, crossws's): nothing to send.
    if (res === undefined && (ctx as RequestExtras).upgraded?.()) return res;
    return upgradeChecked(request, checked(request, res));
  };

  const call = (request: Request, ctx: ServeContext): Response | Promise<Response> => {
    let result: Response | Promise<Response>;
    try {
      result = app.fetch(request, ctx, ctx);
    } catch (err) {
      return upgradeChecked(request, failed(request, err));
    }
    if (result && typeof (result as Promise<Response>).then === "function") {
      return (result as Promise<Response>).then(
        (res) => answer(request, ctx, res),
        (err) => upgradeChecked(request, failed(request, err)),
      );
    }
    return answer(request, ctx, result as Response);
  };

  const withTimeout = (request: Request, ctx: ServeContext): Promise<Response> => {
    const deadline = startDeadline(request, requestTimeoutMs, () => {
      log.warn(
        `${request.method} ${pathOf(request.url)} exceeded request_timeout (${(requestTimeoutMs / 1000).toFixed(1)}s) — aborted`,
        { event: "request_timeout" },
      );
    });
    return deadline.race(Promise.resolve().then(() => app.fetch(deadline.request, ctx, ctx))).then(
      (res) => {
        // The response has its headers: the timeout is over, a streaming body goes on (README).
        deadline.clear();
        return checked(request, res);
      },
      (err) => {
        deadline.clear();
        return failed(request, err);
      },
    );
  };

  const counted = (started: number, res: Response): Response => {
    (observe as (status: number, ms: number) => void)(res.status, performance.now() - started);
    return res;
  };

  return (incoming, extras) => {
    if (healthCheckPath || metricsPath) {
      const path = pathOf(incoming.url);
      if (path === healthCheckPath) return healthResponse(incoming, health);
      if (path === metricsPath) return (metrics as WorkerMetrics).answer();
    }
    const request = admission.admit(incoming, extras);
    // Identity first: on Bun `instanceof Response` runs stream-mark.ts's hasInstance (~30 ns).
    if (request !== incoming && request instanceof Response) return request;
    const ctx = extras as ServeContext;
    ctx.waitUntil = waitUntil;
    ctx.passThroughOnException = passThroughOnException;
    ctx.worker = worker;
    const started = accessLog || observe ? performance.now() : 0;
    let result = requestTimeoutMs > 0 && !isUpgrade(request) ? withTimeout(request, ctx) : call(request, ctx);
    if (observe) result = result instanceof Promise ? result.then((res) => counted(started, res)) : counted(started, result);
    if (!accessLog) return result;
    return result instanceof Promise ? result.then((res) => logged(request, started, res)) : logged(request, started, result);
  };
}

function isUpgrade(request: Request): boolean {
  const upgrade = request.headers.get("upgrade");
  return upgrade !== null && upgrade.toLowerCase() === "websocket";
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
