/**
 * App readiness, before a worker reports ready: await the app's `init()` if it has one (open pools,
 * warm caches), then, with --ready-path, ask the app's own `fetch` for that path — a Request built
 * in-process, no network — until it answers 2xx, backing off between tries. The supervisor's
 * startup timeout bounds the whole wait; every miss is reported (`not-ready`) so that the timeout's
 * message can say what the app last answered. An app that is never ready fails its generation like
 * a bad import: at boot pounce exits 1, on a reload the serving generation keeps serving.
 */
import type { PounceApp, ServeContext } from "../app.ts";
import { describe } from "../errors.ts";

/** Back-off between readiness tries: 50 ms, doubling, at most 1 s apart. */
export const READY_RETRY_FIRST_MS = 50;
export const READY_RETRY_MAX_MS = 1_000;

/** How long to wait after the `attempt`-th (1-based) try answered not ready. */
export function readyRetryDelay(attempt: number): number {
  return Math.min(READY_RETRY_MAX_MS, READY_RETRY_FIRST_MS * 2 ** Math.max(0, attempt - 1));
}

export interface ReadinessOptions {
  app: PounceApp;
  /** Empty: only `init()` is awaited. */
  readyPath: string;
  worker: { id: number; generation: number };
  /** What the app answered on the last try (or what it is waiting for), for the startup-timeout line. */
  report(detail: string): void;
  sleep?: (ms: number) => Promise<void>;
}

/** Resolves once the app is ready; rejects when `init()` throws (that is final, no retry). */
export async function awaitAppReady(opts: ReadinessOptions): Promise<void> {
  const { app, readyPath } = opts;
  if (app.init) {
    opts.report("init() has not returned");
    await app.init();
  }
  if (!readyPath) return;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    const answer = await probe(app, readyPath, opts.worker);
    if (answer === "ok") return;
    opts.report(`GET ${readyPath} ${answer} (try ${attempt})`);
    await sleep(readyRetryDelay(attempt));
  }
}

async function probe(app: PounceApp, path: string, worker: ReadinessOptions["worker"]): Promise<"ok" | string> {
  const ctx: ServeContext = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    waitUntil: (p) => void Promise.resolve(p).catch(() => {}),
    passThroughOnException: () => {},
    worker,
  };
  try {
    const res = await app.fetch(new Request(`http://localhost${path}`), ctx, ctx);
    void res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return "ok";
    return `answered ${res.status}`;
  } catch (err) {
    return `threw ${describe(err)}`;
  }
}
