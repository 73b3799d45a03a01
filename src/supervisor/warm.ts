/**
 * Warm workers (--warm-workers n): pre-started workers that a reload takes instead of spawning, so
 * the runtime's boot, pounce's worker modules and the TypeScript loader are not in SIGHUP → new code.
 * - They are records outside every generation (`state.warm`): never counted, drained,
 *   heart-beaten or shown as serving. One loads what comes before the app and reports `warm`.
 * - They are started only when nothing is starting (never during a rollout: they would take CPU
 *   from the workers it waits on) and no reload is under way; so a reload that took them has them
 *   replaced once it completed.
 * - A reload's spawn takes one that waits (`takeWarm`): the worker record is made as for a spawn,
 *   the warm worker is told `assume` with its spec, and from there it is an ordinary starting worker.
 *   One whose spawn fixed something the spec changes (output capture by --log-format; the adapter's
 *   `canAssume`: user, flags) is killed and a fresh worker spawned.
 * - One that dies on its own is forgotten and replaced only after the next completed reload (no
 *   spawn loop); a stop kills them all.
 */
import type { WorkerEvents, WorkerHandle } from "../adapter.ts";
import { describe } from "../errors.ts";
import type { WorkerMessage, WorkerSpec } from "../protocol.ts";
import type { Core } from "./core.ts";
import type { PrespawnedWorker } from "./prespawn.ts";
import { allLive, type Generation, type Running, type WarmWorker, type WorkerRecord } from "./state.ts";
import { workerSpec } from "./worker-spec.ts";

/** The reconcile step's part: keep the pool at its count when nothing else is starting. */
export function maintainWarm(core: Core, run: Running): void {
  const pool = core.state.warm;
  const gen = run.active;
  if (gen?.status !== "active") return;
  const want = gen.config.warmWorkers;
  const live = [...pool.workers].filter((w) => !w.killed);
  // Fewer wanted (a config file changed the count): the surplus goes, those still starting first.
  const surplus = live.length - want;
  if (surplus > 0) {
    const order = [...live].sort((a, b) => (a.status === b.status ? b.id - a.id : a.status === "starting" ? -1 : 1));
    for (const w of order.slice(0, surplus)) killWarm(w);
    return;
  }
  if (pool.unsupported || run.rollout || run.retiring || run.completionOwed) return;
  if (allLive(core.state).some((w) => w.status.kind === "starting")) return;
  for (let n = live.length + pool.lost; n < want && !pool.unsupported; n++) spawnWarm(core, gen);
}

/** Until taken, a warm worker's events are the pool's; from then on, the record's it became. */
function warmEvents(core: Core, w: WarmWorker): WorkerEvents {
  return {
    message: (message) =>
      core.dispatch(w.taken ? { type: "worker-message", worker: w.taken, message } : { type: "warm-message", warm: w, message }),
    exit: (code, signal) => {
      w.output?.end();
      core.dispatch(
        w.taken ? { type: "worker-exit", worker: w.taken, code, signal } : { type: "warm-exit", warm: w, code, signal },
      );
    },
    ...(w.piped ? { output: (stream, chunk) => w.output?.chunk(stream, chunk) } : {}),
  };
}

function spawnWarm(core: Core, gen: Generation): void {
  const pool = core.state.warm;
  const c = gen.config;
  // What the core fixes at spawn: whether the worker's output is captured (JSON logs).
  const piped = c.logFormat === "json";
  const w: WarmWorker = { id: pool.nextId++, status: "starting", piped, killed: false };
  pool.workers.add(w);
  const spec = workerSpec(core, c, {
    id: -1,
    generation: -1,
    mode: "warm",
    file: gen.entry.file,
    exportName: gen.entry.exportName,
    cwd: gen.cwd,
    listen: core.listen,
    maxRequests: 0,
  });
  // Until it is taken, what it prints (nothing of the app: the app is not loaded) is worker -1's.
  if (piped) w.output = core.appOutput(-1, -1);
  try {
    w.handle = core.adapter.spawn(spec, warmEvents(core, w));
  } catch (err) {
    pool.workers.delete(w);
    pool.lost++;
    core.note({ event: "warm_died", warm: w.id, how: `cannot spawn: ${describe(err)}` });
    return;
  }
  if (!w.handle.assume) {
    // This adapter's workers cannot become another: every reload spawns.
    pool.unsupported = true;
    killWarm(w);
    core.note({ event: "warm_unsupported", runtime: core.adapter.runtime });
    return;
  }
  core.note({ event: "warm_spawned", warm: w.id, pid: w.handle.pid });
}

/** At start: the worker the command line started before the configuration was read (prespawn.ts)
 *  joins the pool, starting; its events so far are delivered now. */
export function adoptPrespawned(core: Core, pre: PrespawnedWorker): void {
  const pool = core.state.warm;
  // Numbered 0, outside the pool's own numbering (`Warm worker 1` stays the first one --warm-workers
  // starts): it is boot's, and never named in the log as a warm worker.
  const w: WarmWorker = {
    id: 0,
    status: "starting",
    piped: false,
    killed: false,
    prespawned: true,
    handle: pre.handle,
  };
  pool.workers.add(w);
  pre.attach(warmEvents(core, w));
}

/** A reload's spawn: the handle of a waiting warm worker that now is `rec` (told `assume`), if one fits. */
/** `boot`: boot's spawn, which may also take the prespawned worker while it is still starting. */
export function takeWarm(core: Core, rec: WorkerRecord, spec: WorkerSpec, boot = false): WorkerHandle | undefined {
  const pool = core.state.warm;
  const piped = rec.generation.config.logFormat === "json";
  for (const w of pool.workers) {
    const handle = w.handle;
    const takable = w.status === "waiting" || (boot && w.prespawned === true);
    if (!takable || w.killed || !handle?.assume) continue;
    const why =
      w.piped !== piped
        ? "its output capture was fixed at spawn by --log-format"
        : handle.canAssume?.(spec) === false
          ? "its user, group or runtime flags were fixed at spawn"
          : undefined;
    if (why) {
      core.note(
        w.prespawned
          ? { event: "prespawn_unused", worker: rec.id, why }
          : { event: "warm_mismatch", warm: w.id, worker: rec.id, why },
      );
      killWarm(w);
      continue;
    }
    pool.workers.delete(w);
    w.output?.end();
    w.output = piped ? core.appOutput(rec.id, rec.generation.n) : undefined;
    w.taken = rec;
    // One still starting may not hear messages yet: it assumes once it says `warm` (worker-events.ts).
    if (w.status === "waiting") handle.assume(spec);
    else rec.assumeOnWarm = spec;
    return handle;
  }
  return undefined;
}

export function warmMessage(core: Core, w: WarmWorker, msg: WorkerMessage): void {
  if (msg.type !== "warm" || w.status !== "starting") return;
  w.status = "waiting";
  if (!w.prespawned) core.note({ event: "warm_ready", warm: w.id, pid: w.handle?.pid });
}

export function warmExited(core: Core, w: WarmWorker, code: number | null, signal: string | null): void {
  const pool = core.state.warm;
  if (!pool.workers.delete(w) || w.killed) return;
  // The prespawned one was never the pool's to keep: boot spawns instead, and no replacement is owed.
  if (w.prespawned)
    return void core.note({
      event: "prespawn_unused",
      why: signal ? `it died (signal ${signal})` : `it died (exit code ${code})`,
    });
  pool.lost++;
  core.note({ event: "warm_died", warm: w.id, how: signal ? `signal ${signal}` : `exit code ${code}` });
}

/** A reload completed: warm workers that died since are replaced again. */
export function warmReloadCompleted(core: Core): void {
  core.state.warm.lost = 0;
}

/** Stop or exit: every warm worker goes (none ever served). */
export function killAllWarm(core: Core): void {
  for (const w of core.state.warm.workers) killWarm(w);
}

function killWarm(w: WarmWorker): void {
  if (w.killed) return;
  w.killed = true;
  try {
    w.handle?.kill();
  } catch {
    // already gone; the exit event follows
  }
}
