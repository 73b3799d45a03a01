/**
 * Recycling (--max-requests with --max-requests-jitter, --max-worker-memory): leak containment. A
 * worker past a limit is replaced through the zero-downtime path the fatal-error replacement takes
 * (replacement.ts): it stops counting toward its generation's target, a replacement starts, and the
 * old worker drains once that replacement is ready — or, without port sharing, drains first.
 * The limits are checked on the worker's heartbeat (its served-request count and resident memory);
 * the worker beats at once when it reaches its request limit, so the count is exact.
 */
import type { Config } from "../config.ts";
import type { Core } from "./core.ts";
import type { WorkerRecord } from "./state.ts";

const MIB = 1024 * 1024;

/** This worker's request limit: --max-requests plus a random 0..--max-requests-jitter (0 = never). */
export function requestLimit(c: Config, random: () => number = Math.random): number {
  if (c.maxRequests <= 0) return 0;
  return c.maxRequests + Math.floor(random() * (c.maxRequestsJitter + 1));
}

/** A heartbeat's figures: recycle the worker if one passes its limit. Only a serving worker of the
 *  active generation is recycled, once, and not while a reload replaces that generation anyway
 *  (if the reload fails, the next heartbeat finds the limit still passed). */
export function checkLimits(core: Core, w: WorkerRecord, served: number, rss: number): void {
  const p = core.state.phase;
  if (p.kind !== "running" || p.rollout || w.generation !== p.active || w.status.kind !== "ready") return;
  if (w.fatal || w.recycle || w.killed) return;
  const c = w.generation.config;
  const overlap = core.adapter.canOverlap;
  const base = { worker: w.id, generation: w.generation.n, overlap } as const;
  if (w.maxRequests > 0 && served >= w.maxRequests) {
    w.recycle = "max_requests";
    core.note({ event: "worker_recycle", ...base, limit: "max_requests", value: served, bound: w.maxRequests });
  } else if (c.maxWorkerMemory > 0 && rss > c.maxWorkerMemory * MIB) {
    w.recycle = "max_worker_memory";
    core.note({
      event: "worker_recycle",
      ...base,
      limit: "max_worker_memory",
      value: Math.round(rss / MIB),
      bound: c.maxWorkerMemory,
    });
  }
}
