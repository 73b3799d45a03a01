/**
 * The request pipeline every adapter serves: health first, then the request limits (limits.ts),
 * then the app, with request_timeout,
 * generic 500s for app errors (stack to the log only) and the optional access log.
 * Kept free of allocations when no option asks for them: this is the hot path.
 */

import type { RequestExtras, ServeOptions } from "../adapter.ts";
import type { PounceApp, ServeContext } from "../app.ts";
import type { Logger } from "../log.ts";
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
}

const PLAIN = { "content-type": "text/plain; charset=utf-8" };

export function createPipeline(opts: PipelineOptions): ServeOptions["handle"] {
  const { app, log, inFlight, health, healthCheckPath, requestTimeoutMs, accessLog, admission, worker } = opts;
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

  const logged = (request: Request, started: number, res: Response): Response => {
    log.info(`${request.method} ${pathOf(request.url)} ${res.status} ${(performance.now() - started).toFixed(1)}ms`, {
      event: "access",
      method: request.method,
      path: pathOf(request.url),
      status: res.status,
    });
    return res;
  };

  const call = (request: Request, ctx: ServeContext): Response | Promise<Response> => {
    let result: Response | Promise<Response>;
    try {
      result = app.fetch(request, ctx, ctx);
    } catch (err) {
      return failed(request, err);
    }
    if (result && typeof (result as Promise<Response>).then === "function") {
      return (result as Promise<Response>).then(
        (res) => checked(request, res),
        (err) => failed(request, err),
      );
    }
    return checked(request, result);
  };

  const withTimeout = (request: Request, ctx: ServeContext): Promise<Response> => {
    const deadline = startDeadline(
      request,
      requestTimeoutMs,
      () => {
        log.warn(
          `${request.method} ${pathOf(request.url)} exceeded request_timeout (${(requestTimeoutMs / 1000).toFixed(1)}s) — aborted`,
          { event: "request_timeout" },
        );
      },
      (ctx as RequestExtras).abortConnection?.bind(ctx),
    );
    return deadline.race(Promise.resolve().then(() => app.fetch(deadline.request, ctx, ctx))).then(
      (res) => {
        const ok = checked(request, res);
        if (ok === res) return deadline.guardBody(ok);
        deadline.clear();
        return ok;
      },
      (err) => {
        deadline.clear();
        return failed(request, err);
      },
    );
  };

  return (incoming, extras) => {
    if (healthCheckPath && pathOf(incoming.url) === healthCheckPath) return healthResponse(incoming, health);
    const request = admission.admit(incoming);
    if (request instanceof Response) return request;
    const ctx = extras as ServeContext;
    ctx.waitUntil = waitUntil;
    ctx.passThroughOnException = passThroughOnException;
    ctx.worker = worker;
    const started = accessLog ? performance.now() : 0;
    const result = requestTimeoutMs > 0 ? withTimeout(request, ctx) : call(request, ctx);
    if (!accessLog) return result;
    return result instanceof Promise ? result.then((res) => logged(request, started, res)) : logged(request, started, result);
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
