/**
 * The supervisor's bookkeeping: generations (the workers started from one import of the code) and
 * the record it keeps of each worker.
 */
import type { WorkerHandle } from "../adapter.ts";
import type { ResolvedEntry } from "../entry.ts";

export type GenerationPurpose =
  /** Generation 0. */
  | "boot"
  /** Started beside the serving generation (overlap reload). */
  | "reload"
  /** Started after the old generation stopped (stop-then-start reload, or recovery from it). */
  | "restart";

export interface Generation {
  n: number;
  entry: ResolvedEntry;
  purpose: GenerationPurpose;
  /** starting → active → retired; or starting → failed. */
  state: "starting" | "active" | "retired" | "failed";
  workers: Set<WorkerRecord>;
  startedAt: number;
}

export type WorkerState = "starting" | "ready" | "draining" | "exited";

export interface WorkerRecord {
  id: number;
  generation: Generation;
  mode: "serve" | "check";
  handle?: WorkerHandle;
  state: WorkerState;
  /** Set from the worker's `failed` message: why it could not start. */
  failure?: string;
  drainReason?: "reload" | "shutdown" | "replace";
  inFlightAtDrain: number;
  idleLogged: boolean;
  forced: boolean;
  /** A worker started to take over from one that reported a fatal error. */
  replaces?: WorkerRecord;
  startTimer?: ReturnType<typeof setTimeout>;
  killTimer?: ReturnType<typeof setTimeout>;
  /** When the kill timer fires, in ms since the epoch. */
  killAt?: number;
}

export function liveWorkers(gen: Generation): WorkerRecord[] {
  return [...gen.workers].filter((w) => w.state !== "exited");
}
