/**
 * The supervisor's metrics: an observer on the notes (reloads, force-stops, restarts) plus the
 * workers' counter reports, summed across workers and generations. A worker's last report before it
 * exits is folded into the retired totals, so counters stay monotonic across reloads; gauges (in
 * flight, connections, WebSockets, RSS) are summed over live workers only.
 */
import type { Note } from "../supervisor/notes.ts";
import { emptyCounters, type WorkerCounters } from "./counters.ts";

export type ReloadOutcome = "complete" | "failed";
export type RestartCause = "crash" | "start_failed" | "fatal";

export interface Lifecycle {
  reloads: Record<ReloadOutcome, number>;
  /** Seconds from a reload leaving the queue to its completion (old generation drained). */
  lastReloadSeconds?: number;
  /** Seconds from the reload being asked for to every new connection reaching the new code. */
  lastTimeToNewCodeSeconds?: number;
  forceStopped: number;
  restarts: Record<RestartCause, number>;
}

export class MetricsAggregate {
  readonly #live = new Map<number, WorkerCounters>();
  readonly #retired = emptyCounters();
  readonly lifecycle: Lifecycle = {
    reloads: { complete: 0, failed: 0 },
    forceStopped: 0,
    restarts: { crash: 0, start_failed: 0, fatal: 0 },
  };
  readonly #now: () => number;
  #askedAt?: number;
  #started?: { at: number; askedAt: number };
  #cutoverAt?: number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A worker's counters as it reported them (they replace its previous report). */
  report(worker: number, counters: WorkerCounters): void {
    this.#live.set(worker, counters);
  }

  readonly observer = (n: Note): void => {
    switch (n.event) {
      case "worker_exited": {
        const last = this.#live.get(n.worker);
        this.#live.delete(n.worker);
        if (last) addMonotonic(this.#retired, last);
        return;
      }
      case "reload_requested":
        this.#askedAt ??= this.#now();
        return;
      case "reload_started":
        this.#started = { at: this.#now(), askedAt: this.#askedAt ?? this.#now() };
        this.#askedAt = undefined;
        this.#cutoverAt = undefined;
        return;
      case "cutover_complete":
        if (this.#started && this.#cutoverAt === undefined) {
          this.#cutoverAt = this.#now();
          this.lifecycle.lastTimeToNewCodeSeconds = (this.#cutoverAt - this.#started.askedAt) / 1000;
        }
        return;
      case "reload_complete":
        this.lifecycle.reloads.complete++;
        if (this.#started) this.lifecycle.lastReloadSeconds = (this.#now() - this.#started.at) / 1000;
        this.#started = undefined;
        return;
      case "reload_failed":
        this.lifecycle.reloads.failed++;
        this.#started = undefined;
        return;
      case "worker_force_stop":
        this.lifecycle.forceStopped++;
        return;
      case "worker_died":
        this.lifecycle.restarts.crash++;
        return;
      case "worker_start_failed":
        this.lifecycle.restarts.start_failed++;
        return;
      case "worker_fatal":
        this.lifecycle.restarts.fatal++;
        return;
      default:
        return;
    }
  };

  /** Every worker that ever reported, retired ones included; gauges from live workers only. */
  totals(): WorkerCounters {
    const sum = emptyCounters();
    addMonotonic(sum, this.#retired);
    for (const c of this.#live.values()) {
      addMonotonic(sum, c);
      sum.inFlight += c.inFlight;
      sum.connections += c.connections;
      sum.websockets += c.websockets;
      sum.rss += c.rss;
    }
    return sum;
  }
}

function addMonotonic(into: WorkerCounters, from: WorkerCounters): void {
  for (let i = 0; i < into.requests.length; i++) into.requests[i] += from.requests[i] ?? 0;
  for (let i = 0; i < into.durationBuckets.length; i++) into.durationBuckets[i] += from.durationBuckets[i] ?? 0;
  into.durationSum += from.durationSum;
}
