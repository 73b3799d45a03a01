/**
 * A worker's side of --metrics-path: keep the request counters, report them to the supervisor once a
 * second and in its last message before exit, and answer a /metrics request by asking the
 * supervisor for the aggregate (a request/response over the worker channel: `metrics-request` with
 * this worker's fresh counters, answered by `metrics` with the text).
 */
import process from "node:process";
import type { WorkerMessage } from "../protocol.ts";
import { RequestCounters, type WorkerCounters } from "./counters.ts";
import { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";

/** How often a worker sends its counters to the supervisor. */
export const COUNTERS_REPORT_MS = 1_000;
/** How long a /metrics request waits for the supervisor's answer before a 503. */
export const METRICS_ANSWER_TIMEOUT_MS = 5_000;

export interface WorkerMetricsOptions {
  send(msg: WorkerMessage): void;
  /** Requests in flight (app requests, WebSockets not included). */
  inFlight(): number;
  /** Open WebSockets. */
  websockets(): number;
}

export class WorkerMetrics {
  readonly counters = new RequestCounters();
  /** Set once the server is up. */
  connections: () => number = () => 0;
  readonly #opts: WorkerMetricsOptions;
  readonly #pending = new Map<number, { resolve: (res: Response) => void; timer: ReturnType<typeof setTimeout> }>();
  #next = 0;
  #timer?: ReturnType<typeof setInterval>;

  constructor(opts: WorkerMetricsOptions) {
    this.#opts = opts;
  }

  startReporting(): void {
    this.#timer = setInterval(() => this.#opts.send({ type: "counters", counters: this.#report(0) }), COUNTERS_REPORT_MS);
  }

  /** The last report, before the worker's `idle`: its counts outlive it in the supervisor's totals. */
  final(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#opts.send({ type: "counters", counters: this.#report(0) });
  }

  /** A /metrics request: never reaches the app, never counted, never access-logged. */
  answer(): Promise<Response> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(new Response("metrics unavailable: the supervisor did not answer\n", { status: 503 }));
      }, METRICS_ANSWER_TIMEOUT_MS);
      this.#pending.set(id, { resolve, timer });
      // The metrics request itself is not counted in flight.
      this.#opts.send({ type: "metrics-request", id, counters: this.#report(1) });
    });
  }

  /** The supervisor's `metrics` answer. */
  reply(id: number, text: string): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(new Response(text, { headers: { "content-type": EXPOSITION_CONTENT_TYPE, "cache-control": "no-store" } }));
  }

  #report(self: number): WorkerCounters {
    return this.counters.report({
      inFlight: Math.max(0, this.#opts.inFlight() - self),
      connections: this.connections(),
      websockets: this.#opts.websockets(),
      rss: process.memoryUsage.rss(),
    });
  }
}
