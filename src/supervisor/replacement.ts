/**
 * Replacement policy: keep the active generation at its worker count.
 * - A serving worker that dies is replaced in its generation: at once the first time, then with the
 *   growing back-off of backoff.ts (a crash loop must not spin).
 * - A replacement that fails to start counts as a crash: it is retried with the same back-off.
 * - A worker that reported a fatal error no longer counts toward the target: a replacement starts,
 *   and the faulty worker is drained once that replacement is ready. Where two workers cannot listen
 *   on one address (no port sharing) the faulty one is drained first and replaced when it is gone.
 * - A worker being recycled (recycle.ts: --max-requests, --max-worker-memory) leaves the same way.
 * Workers of a retired generation are never replaced.
 */
import type { Backoff } from "./backoff.ts";
import type { Core } from "./core.ts";
import { allLive, type Generation, type Running, type WorkerRecord } from "./state.ts";
import { drainWorker, spawnWorker } from "./workers.ts";

/** A worker on its way out through a replacement: it reported a fatal error, or is recycled. */
export function leaving(w: WorkerRecord): boolean {
  return w.fatal !== undefined || w.recycle !== undefined;
}

/** A worker that counts toward its generation's target. */
export function counts(w: WorkerRecord): boolean {
  return w.mode === "serve" && !leaving(w) && !w.killed && (w.status.kind === "starting" || w.status.kind === "ready");
}

/** Record a crash (a death, or a replacement that failed to start) and push the next spawn back. */
export function crashed(core: Core, run: Running, backoff: Backoff): void {
  const now = core.now();
  const delay = backoff.next(now);
  if (delay > 0) core.note({ event: "respawn_backoff", delayMs: delay });
  run.respawnAt = Math.max(run.respawnAt ?? 0, now + delay);
}

export function markFatal(core: Core, w: WorkerRecord, message: string): void {
  w.fatal = message;
  core.note({
    event: "worker_fatal",
    worker: w.id,
    generation: w.generation.n,
    message,
    overlap: core.adapter.canOverlap,
  });
}

/** Drain replaced leaving workers and spawn up to the target, as far as the state allows now. */
export function maintainWorkers(core: Core, run: Running): void {
  const gen = run.active;
  if (gen?.status !== "active") return;
  for (const w of gen.workers) {
    if (!leaving(w) || w.status.kind !== "ready") continue;
    if (!core.adapter.canOverlap) drainWorker(core, w, "replace");
    else if (w.replacement?.status.kind === "ready") {
      core.note({ event: "worker_replaced", worker: w.replacement.id, replaced: w.id });
      drainWorker(core, w, "replace");
    }
  }
  const missing = gen.target - [...gen.workers].filter(counts).length;
  if (missing <= 0 || !mayStartNow(core, run)) return;
  run.respawnAt = undefined;
  for (let i = 0; i < missing; i++) {
    const rec = spawnWorker(core, gen, "serve");
    const replaced = unreplaced(gen);
    if (replaced) replaced.replacement = rec;
  }
}

/** When the next replacement may start, if one is missing and waits on time (for the alarm). */
export function nextRespawnAt(run: Running): number | undefined {
  const gen = run.active;
  if (gen?.status !== "active" || run.respawnAt === undefined) return undefined;
  const missing = gen.target - [...gen.workers].filter(counts).length;
  return missing > 0 ? run.respawnAt : undefined;
}

function mayStartNow(core: Core, run: Running): boolean {
  if (run.respawnAt !== undefined && core.now() < run.respawnAt) return false;
  // Without port sharing a new worker cannot bind while another still listens.
  if (!core.adapter.canOverlap && allLive(core.state).some((w) => w.mode === "serve" && w.status.kind !== "starting"))
    return false;
  return true;
}

/**
 * The workers of `gen` beyond its target, to drain when the target drops (SIGTTOU, a reload batch):
 * ones still starting first (they never served), then the oldest.
 */
export function surplus(gen: Generation): WorkerRecord[] {
  const counted = [...gen.workers].filter(counts);
  const extra = counted.length - gen.target;
  if (extra <= 0) return [];
  const starting = counted.filter((w) => w.status.kind === "starting").sort((a, b) => b.id - a.id);
  const ready = counted.filter((w) => w.status.kind !== "starting").sort((a, b) => a.id - b.id);
  return [...starting, ...ready].slice(0, extra);
}

/** A leaving worker of `gen` still serving with no live replacement on the way. */
function unreplaced(gen: Generation): WorkerRecord | undefined {
  for (const w of gen.workers) {
    if (!leaving(w) || w.status.kind === "draining") continue;
    const r = w.replacement;
    if (!r || r.status.kind === "exited" || r.killed) return w;
  }
  return undefined;
}
