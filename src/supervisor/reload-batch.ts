/**
 * Reload in batches (--reload-batch N, overlap reloads only): the new generation starts N workers;
 * once all N are ready, N old workers drain, and once those have exited the next N start. So a reload
 * never runs more than the old count + N workers at once (a host or cgroup near its memory limit), and
 * the old generation's count steps down by N per batch, so it replaces none of them.
 * - The first batch is the readiness gate of the whole deploy: if it fails, its workers are killed and
 *   nothing else changed (the same as a reload without batches).
 * - A later batch that fails puts the old generation back: its count is restored, its missing workers
 *   start again (old code), and only once it is back at its count do the new generation's ready
 *   workers drain. Until then they keep serving: nothing stops before something can take its place.
 * - The last batch ready is the ordinary hand-over (rollout.ts): what is left of the old generation is
 *   retired and drained with the stagger.
 */
import type { Core } from "./core.ts";
import { counts, surplus } from "./replacement.ts";
import type { Batch, Generation, Rollout, Running } from "./state.ts";
import { drainWorker, killWorker, spawnWorker } from "./workers.ts";

type Overlap = Extract<Rollout, { kind: "overlap" }>;

/** The batch plan for a generation just started with `gen.config.reloadBatch` workers, if it has one. */
export function planBatches(core: Core, run: Running, gen: Generation): Batch | undefined {
  const size = gen.config.reloadBatch;
  if (size <= 0 || size >= gen.target) return undefined;
  const batch: Batch = {
    size,
    number: 1,
    total: Math.ceil(gen.target / size),
    spawned: size,
    step: "starting",
    draining: [],
    oldTarget: run.active?.target ?? 0,
  };
  core.note({ event: "batch_starting", generation: gen.n, number: 1, total: batch.total, workers: size });
  return batch;
}

/** Move a batched overlap on: drain old workers after a ready batch; start the next once they are gone. */
export function advanceBatch(core: Core, run: Running, r: Overlap & { batch: Batch }): void {
  const b = r.batch;
  const gen = r.gen;
  if (b.step === "starting") {
    if (gen.workers.size < b.spawned) return;
    for (const w of gen.workers) if (w.status.kind !== "ready") return;
    if (b.number === 1) core.note({ event: "reimported", generation: gen.n, entry: core.config.entry });
    const old = run.active;
    const going = old ? stepDown(old, b.size) : [];
    core.note({
      event: "batch_ready",
      generation: gen.n,
      number: b.number,
      total: b.total,
      draining: going.length,
      oldGeneration: old?.n,
    });
    for (const w of going) drainWorker(core, w, "reload");
    b.draining = going;
    b.step = "draining";
  }
  b.draining = b.draining.filter((w) => w.status.kind !== "exited");
  if (b.draining.length > 0) return;
  const n = Math.min(b.size, gen.target - b.spawned);
  b.number++;
  b.spawned += n;
  b.step = "starting";
  core.note({ event: "batch_starting", generation: gen.n, number: b.number, total: b.total, workers: n });
  for (let i = 0; i < n; i++) spawnWorker(core, gen, "serve");
}

/** Lower the old generation's count by one batch; the workers beyond it are the ones to drain. */
function stepDown(old: Generation, size: number): ReturnType<typeof surplus> {
  old.target = Math.max(0, old.target - size);
  return surplus(old);
}

/** A batch after the first failed: the old generation takes its count back (rollback follows). */
export function rollBack(core: Core, run: Running, r: Overlap & { batch: Batch }): void {
  const gen = r.gen;
  gen.status = "failed";
  for (const w of gen.workers) if (w.status.kind === "starting") killWorker(w);
  if (run.active) run.active.target = r.batch.oldTarget;
  core.note({
    event: "reload_failed",
    generation: gen.n,
    cause: gen.failure ?? "a worker failed",
    oldStopped: false,
    batch: { number: r.batch.number, total: r.batch.total },
  });
  run.rollout = { kind: "rollback", gen };
}

/** The rollback ends once the old generation is back at its count: then the failed one drains. */
export function advanceRollback(core: Core, run: Running, gen: Generation): void {
  const old = run.active;
  const ready = old ? [...old.workers].filter((w) => counts(w) && w.status.kind === "ready").length : 0;
  const serving = [...gen.workers].filter((w) => w.status.kind === "ready").length;
  if (old && ready < old.target && serving > 0) return;
  run.rollout = undefined;
  core.note({ event: "rollback_complete", generation: old?.n ?? -1, workers: ready, failed: gen.n });
  for (const w of gen.workers) drainWorker(core, w, "reload");
}
