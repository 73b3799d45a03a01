/**
 * The supervisor's hands on workers: start a generation, spawn, drain, kill, force-stop at a
 * deadline, forget an exited record. Policy (when to do which) is in rollout.ts, replacement.ts and
 * the handlers; this file only keeps the records and the adapter in step.
 */
import type { ResolvedEntry } from "../entry.ts";
import { describe } from "../errors.ts";
import type { DrainReason } from "../protocol.ts";
import type { Core } from "./core.ts";
import { requestLimit } from "./recycle.ts";
import { workerTarget } from "./scale.ts";
import type { Generation, WorkerRecord } from "./state.ts";
import { takeWarm } from "./warm.ts";
import { workerSpec } from "./worker-spec.ts";

/** Start a generation of `gen.target` workers; `first` starts only that many now (a reload batch). */
export function startGeneration(
  core: Core,
  entry: ResolvedEntry,
  purpose: "boot" | "reload" | "restart",
  first?: number,
): Generation {
  const gen = newGeneration(core, entry, purpose);
  core.note({ event: "generation_starting", generation: gen.n, workers: gen.target });
  const now = Math.min(first ?? gen.target, gen.target);
  for (let i = 0; i < now; i++) spawnWorker(core, gen, "serve");
  return gen;
}

/** A one-worker generation that imports the code without binding (stop-then-start reloads). */
export function startImportCheck(core: Core, entry: ResolvedEntry): Generation {
  const gen = newGeneration(core, entry, "check");
  core.note({ event: "import_check", entry: core.config.entry });
  spawnWorker(core, gen, "check");
  return gen;
}

function newGeneration(core: Core, entry: ResolvedEntry, purpose: Generation["purpose"]): Generation {
  const s = core.state;
  const gen: Generation = {
    n: purpose === "check" ? -1 : s.nextGeneration++,
    entry,
    config: core.config,
    target: purpose === "check" ? 1 : workerTarget(core),
    cwd: core.cwd,
    purpose,
    status: "starting",
    workers: new Set(),
  };
  s.generations.add(gen);
  return gen;
}

export function spawnWorker(core: Core, gen: Generation, mode: "serve" | "check"): WorkerRecord {
  const c = gen.config;
  const rec: WorkerRecord = {
    id: core.state.nextWorkerId++,
    generation: gen,
    mode,
    status: { kind: "starting", deadline: core.now() + c.startupTimeout * 1000 },
    killed: false,
    forced: false,
    idleLogged: false,
    maxRequests: mode === "serve" ? requestLimit(c) : 0,
  };
  gen.workers.add(rec);
  const spec = workerSpec(core, c, {
    id: rec.id,
    generation: gen.n,
    mode,
    file: gen.entry.file,
    exportName: gen.entry.exportName,
    cwd: gen.cwd,
    listen: core.listenFor(rec.id, gen.n),
    maxRequests: rec.maxRequests,
  });
  // A reload's worker (its generation still starting) may be a warm one that waits for it (warm.ts):
  // it becomes this worker; boot's may be the one started before the configuration was read
  // (prespawn.ts). Crash replacements and SIGTTIN spawn.
  const starting = mode === "serve" && gen.status === "starting";
  const warm = starting ? takeWarm(core, rec, spec, gen.purpose === "boot") : undefined;
  if (warm) {
    rec.handle = warm;
    core.note({ event: "worker_spawned", worker: rec.id, generation: gen.n, mode, pid: warm.pid, warm: true });
    return rec;
  }
  const output = c.logFormat === "json" ? core.appOutput(spec.id, spec.generation) : undefined;
  try {
    rec.handle = core.adapter.spawn(spec, {
      message: (message) => core.dispatch({ type: "worker-message", worker: rec, message }),
      exit: (code, signal) => {
        output?.end();
        core.dispatch({ type: "worker-exit", worker: rec, code, signal });
      },
      ...(output ? { output: output.chunk } : {}),
    });
  } catch (err) {
    rec.failure = `cannot spawn worker: ${describe(err)}`;
    queueMicrotask(() => core.dispatch({ type: "worker-exit", worker: rec, code: null, signal: null }));
  }
  core.note({ event: "worker_spawned", worker: rec.id, generation: gen.n, mode, pid: rec.handle?.pid });
  return rec;
}

/**
 * Tell a worker to drain, with its deadline. A worker that never served is killed instead. One
 * already draining (a reload) when a shutdown comes is told again (its health turns 503) and keeps
 * the earlier of the two deadlines.
 */
/**
 * `timeoutMsLeft` overrides the setting's bound (a shutdown whose hand-over used part of
 * shutdown_timeout). `lastListener`: no other worker's listener will take the port's new
 * connections while this one drains (a shutdown, a stop-then-start reload), so the worker empties
 * its accept queue before closing its listener instead of leaving the queue to a sibling.
 */
export function drainWorker(
  core: Core,
  w: WorkerRecord,
  reason: DrainReason,
  opts: { timeoutMsLeft?: number; lastListener?: boolean } = {},
): void {
  const st = w.status;
  if (st.kind === "exited") return;
  if (st.kind === "starting") {
    killWorker(w);
    return;
  }
  const c = reason === "shutdown" ? core.config : w.generation.config;
  const timeoutSeconds = reason === "shutdown" ? c.shutdownTimeout : c.reloadTimeout;
  const timeoutMs = opts.timeoutMsLeft ?? timeoutSeconds * 1000;
  const deadline = core.now() + timeoutMs;
  const lastListener = opts.lastListener ?? reason === "shutdown";
  w.handle?.send({ type: "drain", reason, timeoutMs, lastListener });
  const setting = reason === "shutdown" ? "shutdown_timeout" : "reload_timeout";
  if (st.kind === "draining") {
    if (st.deadline > deadline) Object.assign(st, { deadline, setting, timeoutSeconds });
    return;
  }
  w.status = { kind: "draining", reason, deadline, setting, timeoutSeconds, inFlight: 0, accepting: true };
  core.note({ event: "worker_draining", worker: w.id, generation: w.generation.n, reason });
}

export function killWorker(w: WorkerRecord): void {
  if (w.status.kind === "exited") return;
  w.killed = true;
  try {
    w.handle?.kill();
  } catch {
    // already gone; the exit event follows
  }
}

/** Act on the workers' own deadlines: a start that took too long, a drain past its timeout. */
export function enforceWorkerDeadlines(core: Core, workers: WorkerRecord[]): void {
  const now = core.now();
  for (const w of workers) {
    if (w.killed) continue;
    const st = w.status;
    if (st.kind === "starting" && now >= st.deadline) {
      const app = w.notReady === undefined ? "" : ` — app not ready: ${w.notReady}`;
      w.failure ??= `worker ${w.id} not ready within startup_timeout (${w.generation.config.startupTimeout.toFixed(1)}s)${app}`;
      killWorker(w);
    } else if (st.kind === "draining" && now >= st.deadline) {
      core.note({
        event: "worker_force_stop",
        worker: w.id,
        generation: st.setting === "shutdown_timeout" ? undefined : w.generation.n,
        setting: st.setting,
        timeoutSeconds: st.timeoutSeconds,
        inFlight: st.inFlight,
      });
      w.forced = true;
      killWorker(w);
    }
  }
}

/** The earliest deadline among the workers that the supervisor still waits on. */
export function nextWorkerDeadline(workers: WorkerRecord[]): number | undefined {
  let at: number | undefined;
  for (const w of workers) {
    if (w.killed) continue;
    const st = w.status;
    if (st.kind === "starting" || st.kind === "draining") at = at === undefined ? st.deadline : Math.min(at, st.deadline);
  }
  return at;
}

/** Forget an exited worker's record (a generation keeps live workers only). */
export function forget(core: Core, w: WorkerRecord): void {
  const gen = w.generation;
  gen.workers.delete(w);
  const s = core.state;
  const active = s.phase.kind === "running" ? s.phase.active : s.phase.kind === "booting" ? s.phase.gen : undefined;
  if (gen.workers.size === 0 && gen !== active) s.generations.delete(gen);
}
