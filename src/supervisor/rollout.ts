/**
 * Reload policy: how a new generation takes over from the active one.
 * - overlap: start N+1 beside N; only when every new worker is ready is N retired, its workers
 *   drained one at a time `reload_stagger` apart (the new, JIT-cold workers take traffic in steps);
 *   with --reload-batch, N+1 starts a batch at a time and N shrinks batch by batch (reload-batch.ts);
 * - stop-then-start (no port sharing, or --reload-strategy restart): import-check the new code, drain
 *   N, start N+1; if N+1 fails, start the previous code again.
 * A reload that fails before anything stopped keeps N serving.
 */
import { parseEntry, type ResolvedEntry, resolveEntry } from "../entry.ts";
import { describe, EXIT } from "../errors.ts";
import type { Core } from "./core.ts";
import { advanceBatch, advanceRollback, planBatches, rollBack } from "./reload-batch.ts";
import { handOverSharedListener } from "./shutdown.ts";
import { allLive, type Generation, generationReady, type Rollout, type Running } from "./state.ts";
import { warmReloadCompleted } from "./warm.ts";
import { drainWorker, killWorker, startGeneration, startImportCheck } from "./workers.ts";

/** Start a reload (the reload queue decided it may start now). */
export function startReload(core: Core, run: Running): void {
  core.state.reloads.lastStartAt = core.now();
  core.note({ event: "reload_started" });
  let entry: ResolvedEntry;
  try {
    entry = resolveEntry(parseEntry(core.config.entry), core.cwd);
  } catch (err) {
    core.note({ event: "reload_failed", cause: describe(err), oldStopped: false });
    return;
  }
  if (!core.overlap) {
    run.rollout = { kind: "check", gen: startImportCheck(core, entry) };
    return;
  }
  const gen = startGeneration(core, entry, "reload", core.config.reloadBatch || undefined);
  run.rollout = { kind: "overlap", gen, batch: planBatches(core, run, gen) };
}

/** Move the rollout on as far as the state allows. */
export function advanceRollout(core: Core, run: Running): void {
  const r = run.rollout;
  if (!r) return;
  switch (r.kind) {
    case "overlap": {
      const batch = r.batch;
      if (r.gen.failure !== undefined) {
        if (batch && batch.number > 1) {
          rollBack(core, run, { ...r, batch });
          advanceRollout(core, run);
          return;
        }
        failGeneration(r.gen);
        run.rollout = undefined;
        const at = batch && { number: 1, total: batch.total };
        core.note({ event: "reload_failed", generation: r.gen.n, cause: r.gen.failure, oldStopped: false, batch: at });
      } else if (generationReady(r.gen)) {
        run.rollout = undefined;
        activate(core, run, r.gen, !batch);
      } else if (batch) advanceBatch(core, run, { ...r, batch });
      return;
    }
    case "rollback":
      advanceRollback(core, run, r.gen);
      return;
    case "check": {
      if (r.gen.failure !== undefined) {
        failGeneration(r.gen);
        run.rollout = undefined;
        core.note({ event: "reload_failed", cause: r.gen.failure, oldStopped: false });
        return;
      }
      if (!generationReady(r.gen)) return;
      r.gen.status = "retired";
      const old = run.active;
      core.note({ event: "restart_stopping_old" });
      const stop: Rollout & { kind: "stop-old" } = { kind: "stop-old", entry: r.gen.entry, previous: old?.entry ?? r.gen.entry };
      run.rollout = stop;
      if (old) {
        old.status = "retired";
        run.active = undefined;
        if (core.adapter.closeSharedListener && [...old.workers].some((w) => w.status.kind === "ready")) {
          // As at shutdown: nothing is left to take a connection the supervisor accepted once the
          // old workers have gone, so its listener closes first, while they still take them.
          stop.handOver = { workers: [...old.workers], until: core.now() + old.config.reloadTimeout * 1000 };
          handOverSharedListener(core);
        } else for (const w of old.workers) drainWorker(core, w, "reload", { lastListener: true });
      }
      advanceRollout(core, run);
      return;
    }
    case "stop-old":
      if (r.handOver && core.now() >= r.handOver.until) restartHandedOver(core, run);
      // Nothing of the old code may still hold the port.
      if (allLive(core.state).some((w) => w.mode === "serve")) return;
      run.rollout = { kind: "restart", gen: startGeneration(core, r.entry, "restart"), previous: r.previous };
      return;
    case "restart":
      if (r.gen.failure !== undefined) {
        failGeneration(r.gen);
        core.note({ event: "reload_failed", generation: r.gen.n, cause: r.gen.failure, oldStopped: true });
        if (r.previous && r.previous !== r.gen.entry) {
          run.rollout = { kind: "restart", gen: startGeneration(core, r.previous, "restart") };
          return;
        }
        run.rollout = undefined;
        core.note({ event: "recover_failed" });
        core.exit(EXIT.failure);
      } else if (generationReady(r.gen)) {
        run.rollout = undefined;
        activate(core, run, r.gen);
      }
      return;
  }
}

/** The listener hand-over of a stop-then-start reload is over (done, or its time is up): the old
 *  workers drain in what is left of reload_timeout. */
export function restartHandedOver(core: Core, run: Running): void {
  const r = run.rollout;
  if (r?.kind !== "stop-old" || !r.handOver) return;
  const { workers, until } = r.handOver;
  r.handOver = undefined;
  const left = Math.max(0, until - core.now());
  for (const w of workers) drainWorker(core, w, "reload", { timeoutMsLeft: left, lastListener: true });
}

/** When the listener hand-over of a stop-then-start reload runs out, if one is under way. */
export function restartHandOverEnd(run: Running): number | undefined {
  return run.rollout?.kind === "stop-old" ? run.rollout.handOver?.until : undefined;
}

function failGeneration(gen: Generation): void {
  gen.status = "failed";
  for (const w of gen.workers) killWorker(w);
}

/** `gen` takes over: the previous generation (if any) is retired, a completion line is owed. */
function activate(core: Core, run: Running, gen: Generation, announce = true): void {
  const previous = run.active;
  gen.status = "active";
  run.active = gen;
  // A batched reload said so when its first batch was ready.
  if (announce) core.note({ event: "reimported", generation: gen.n, entry: core.config.entry });
  if (previous) {
    previous.status = "retired";
    // Workers of an even older generation still waiting their turn go now.
    for (const w of run.retiring?.waiting ?? []) drainWorker(core, w, "reload");
    const waiting = [...previous.workers];
    core.note({
      event: "draining_old",
      generation: previous.n,
      staggerSeconds: gen.config.reloadStagger,
      count: waiting.length,
    });
    run.retiring = { waiting, nextAt: core.now() };
  }
  run.completionOwed = gen;
  run.cutoverOwed = gen;
}

/** Drain the next retiring worker when its turn has come. */
export function advanceRetiring(core: Core, run: Running): void {
  const r = run.retiring;
  if (!r) return;
  r.waiting = r.waiting.filter((w) => w.status.kind !== "exited");
  const stagger = (run.active?.config ?? core.config).reloadStagger * 1000;
  while (r.waiting.length > 0 && core.now() >= r.nextAt) {
    drainWorker(core, r.waiting.shift() as (typeof r.waiting)[number], "reload");
    if (stagger > 0) r.nextAt = core.now() + stagger;
  }
  if (r.waiting.length === 0) run.retiring = undefined;
}

/** "Graceful reload complete" once nothing older than the new generation is left serving or draining. */
export function settleCompletion(core: Core, run: Running): void {
  const gen = run.completionOwed;
  if (!gen || run.active !== gen || run.retiring) return;
  for (const w of allLive(core.state)) if (w.generation.n < gen.n && w.mode === "serve") return;
  run.completionOwed = undefined;
  warmReloadCompleted(core);
  core.note({ event: "reload_complete", generation: gen.n, workers: gen.workers.size });
}
