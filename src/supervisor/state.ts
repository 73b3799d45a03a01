/**
 * The supervisor's state, as discriminated unions so that combinations that cannot happen cannot be
 * written: the phase (booting | running | stopping), a rollout per reload strategy, each worker's
 * status with the deadline that belongs to it. Every deadline lives here; the reconcile step reads
 * them, so no timer has to be remembered and cleared by hand.
 */
import type { ScaleSignal, WorkerHandle } from "../adapter.ts";
import type { Config } from "../config.ts";
import type { LoadedConfig } from "../config-source.ts";
import type { ResolvedEntry } from "../entry.ts";
import type { DrainReason, WorkerSpec } from "../protocol.ts";
import type { AppOutput } from "./app-output.ts";
import type { ReloadCause } from "./events.ts";

export interface Generation {
  /** Gen 0 at boot, +1 per generation started; an import check has none (-1). */
  readonly n: number;
  readonly entry: ResolvedEntry;
  /** The configuration this generation was started with (worker count, timeouts). */
  readonly config: Config;
  /** How many workers it keeps: `config.workers`, or the count SIGTTIN/SIGTTOU set (scale.ts);
   *  during a batched reload the old generation's count steps down batch by batch. */
  target: number;
  /** The working directory its workers run in (a symlinked release, resolved when it started). */
  readonly cwd: string;
  readonly purpose: "boot" | "reload" | "restart" | "check";
  status: "starting" | "active" | "retired" | "failed";
  /** Live workers only: a record leaves its generation when the worker exits. */
  readonly workers: Set<WorkerRecord>;
  /** Why the generation cannot start (the first of its workers that failed). */
  failure?: string;
}

export type WorkerStatus =
  | { kind: "starting"; deadline: number }
  | { kind: "ready" }
  | {
      kind: "draining";
      reason: DrainReason;
      deadline: number;
      /** The setting whose deadline applies, for the force-stop line. */
      setting: "reload_timeout" | "shutdown_timeout";
      timeoutSeconds: number;
      inFlight: number;
      /** Until the worker reports its listener closed, new connections may still reach it. */
      accepting: boolean;
    }
  | { kind: "exited" };

export interface WorkerRecord {
  readonly id: number;
  readonly generation: Generation;
  readonly mode: "serve" | "check";
  handle?: WorkerHandle;
  status: WorkerStatus;
  /** From the worker's `failed` message, or the supervisor's own reason (spawn error, startup timeout). */
  failure?: string;
  /** While starting: what the app last answered its readiness check (init() pending, --ready-path). */
  notReady?: string;
  /** Reported an uncaught error outside a request: it is replaced, then drained (see leaving()). */
  fatal?: string;
  /** Being recycled (--max-requests, --max-worker-memory; recycle.ts): replaced, then drained,
   *  the way a fatal worker is. The reason, for the log. */
  recycle?: string;
  /** When its last heartbeat arrived (or it became ready): the watchdog's clock (watchdog.ts). */
  lastBeat?: number;
  /** Requests after which it is recycled (--max-requests plus its jitter; 0 = never). */
  maxRequests: number;
  /** Started by SIGTTIN (its ready line says so, not "replacement"). */
  added?: boolean;
  /** The worker started to take over from this one (fatal replacement). */
  replacement?: WorkerRecord;
  /** Asked to die (SIGKILL); its exit event follows. */
  killed: boolean;
  /** Killed at its drain deadline. */
  forced: boolean;
  idleLogged: boolean;
  /** Requests in flight as the worker last reported them (once ready; at most once a second). */
  inFlight?: number;
  /** A warm worker taken while still starting (the prespawned one at boot): the spec it is told to
   *  assume once it reports `warm` (before that it may not be listening for messages yet). */
  assumeOnWarm?: WorkerSpec;
}

/**
 * A pre-started worker (--warm-workers, warm.ts): outside every generation, never counted, drained,
 * heart-beaten or shown as serving. A reload's spawn takes one that waits: it becomes that record.
 */
export interface WarmWorker {
  /** The pool's own numbering (worker ids are given when one is taken). */
  readonly id: number;
  handle?: WorkerHandle;
  /** `waiting`: it reported `warm` and can be taken. */
  status: "starting" | "waiting";
  /** Its output was captured at spawn (JSON logs): a spec that wants otherwise cannot take it. */
  readonly piped: boolean;
  /** The worker it became; from then on its messages and exit are that record's. */
  taken?: WorkerRecord;
  /** Where its output goes: the pool's own until taken, then the worker's. */
  output?: AppOutput;
  killed: boolean;
  /** Started before the configuration was read (prespawn.ts): boot may take it while it starts. */
  readonly prespawned?: true;
}

export interface WarmPool {
  readonly workers: Set<WarmWorker>;
  /** Warm workers that died on their own since the last completed reload: not replaced before the next. */
  lost: number;
  nextId: number;
  /** The adapter's handles cannot assume (no `assume`): no more warm workers are started. */
  unsupported: boolean;
}

/**
 * A reload that replaces workers `size` at a time (--reload-batch): start a batch of new workers,
 * wait until they are ready, drain as many old ones and wait until they are gone, then the next batch.
 */
export interface Batch {
  size: number;
  /** 1-based: the batch starting or draining now, of `total`. */
  number: number;
  total: number;
  /** New workers started so far, this batch included. */
  spawned: number;
  /** Waiting for this batch's new workers to be ready, or for the old ones it drained to exit. */
  step: "starting" | "draining";
  draining: WorkerRecord[];
  /** The old generation's count before the reload: restored when a later batch fails. */
  oldTarget: number;
}

/** How a reload is carried out: beside the serving generation, or after stopping it. */
export type Rollout =
  /** The next generation is starting beside the active one (all at once, or in batches). */
  | { kind: "overlap"; gen: Generation; batch?: Batch }
  /** A batch after the first failed: the old generation starts its workers again; `gen`'s ready
   *  workers keep serving until it is back at its count, then drain. */
  | { kind: "rollback"; gen: Generation }
  /** Stop-then-start, step 1: a worker imports the new code without binding. */
  | { kind: "check"; gen: Generation }
  /** Step 2: the old workers drain; then `entry` starts. `previous` is the code to go back to.
   *  `handOver`: first the supervisor's own listener closes (closeSharedListener) while these old
   *  workers still take what it accepted; they drain when it is done or at `until`. */
  | { kind: "stop-old"; entry: ResolvedEntry; previous: ResolvedEntry; handOver?: { workers: WorkerRecord[]; until: number } }
  /** Step 3: the new generation starts with nothing serving; `previous`, if set, is the way back. */
  | { kind: "restart"; gen: Generation; previous?: ResolvedEntry };

/** A replaced generation's workers, drained one at a time `reload_stagger` apart. */
export interface Retiring {
  waiting: WorkerRecord[];
  nextAt: number;
}

export type Phase =
  /** Constructed; start() not called yet. */
  | { kind: "new" }
  | { kind: "booting"; gen: Generation }
  | {
      kind: "running";
      /** Undefined only between the steps of a stop-then-start reload. */
      active: Generation | undefined;
      rollout?: Rollout;
      retiring?: Retiring;
      /** The generation whose cut-over (every new connection goes to it) is still to be announced. */
      cutoverOwed?: Generation;
      /** The generation whose "Graceful reload complete" is still owed. */
      completionOwed?: Generation;
      /** No replacement starts before this (crash back-off). */
      respawnAt?: number;
    }
  | {
      kind: "stopping";
      /** A second stop signal: everything was killed; exit 1. */
      forced: boolean;
      /** After a forced stop, exit by then even if a kill has not been reaped. */
      giveUpAt?: number;
      /** shutdown_delay: keep serving (health 503) until then, then drain. */
      drainAt?: number;
      /** The supervisor's own listener (closeSharedListener) is handing what the kernel accepted to
       *  the workers, which drain once it is done, or at this time at the latest. */
      handOverUntil?: number;
    }
  /** exit() was called (the process is gone; only a test's fake adapter returns from it). */
  | { kind: "exited"; code: number };

export interface ReloadQueue {
  /** A reload asked for and not started yet (one is kept: the newest). */
  pending?: ReloadCause;
  /** When the last reload started (the cooldown counts from there). */
  lastStartAt: number;
  /** Reload requests so far: the ticket a configuration read is for. */
  requests: number;
  /** A read of the configuration for the pending reload is under way, for this ticket. */
  reading?: number;
  /** The configuration read for the pending reload, ready to start it. */
  prepared?: LoadedConfig;
}

/** Worker count changes by SIGTTIN/SIGTTOU (scale.ts). */
export interface Scaling {
  /** The count they set, with the config's `workers` it was set against: later generations keep it
   *  while they start with that config count; a different one wins and drops it. */
  override?: { workers: number; against: number };
  /** Asked for while a generation was starting (boot, reload): applied once that settles, in order. */
  pending: Array<{ delta: 1 | -1; signal: ScaleSignal }>;
}

export interface SupervisorState {
  phase: Phase;
  reloads: ReloadQueue;
  scale: Scaling;
  /** Every generation that still has a live worker, plus the active one. */
  readonly generations: Set<Generation>;
  nextWorkerId: number;
  nextGeneration: number;
  warm: WarmPool;
}

export type Running = Extract<Phase, { kind: "running" }>;

export function allLive(state: SupervisorState): WorkerRecord[] {
  const out: WorkerRecord[] = [];
  for (const gen of state.generations) for (const w of gen.workers) out.push(w);
  return out;
}

export function isDraining(w: WorkerRecord): w is WorkerRecord & { status: { kind: "draining" } } {
  return w.status.kind === "draining";
}

/** A generation is ready when it has its full count of workers and each has reported ready. */
export function generationReady(gen: Generation): boolean {
  const want = gen.purpose === "check" ? 1 : gen.target;
  if (gen.workers.size < want) return false;
  for (const w of gen.workers) if (w.status.kind !== "ready") return false;
  return true;
}
