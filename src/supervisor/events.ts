/**
 * Everything that can happen to the supervisor, as one closed union. Signal handlers (and the file
 * watcher, control commands, a config reloader) only turn what happened into one of these and hand
 * it to `Supervisor.dispatch`; the supervisor's reaction is in its handlers and the reconcile step.
 */
import type { LifecycleSignal, ScaleSignal } from "../adapter.ts";
import type { LoadedConfig } from "../config-source.ts";
import type { WorkerMessage } from "../protocol.ts";
import type { WarmWorker, WorkerRecord } from "./state.ts";

/** Why a reload was asked for: shown in the log line that acknowledges it. */
export type ReloadCause =
  | { kind: "signal"; signal: LifecycleSignal }
  | { kind: "file"; path: string }
  | { kind: "control"; via: string };

export type SupervisorEvent =
  | { type: "reload"; cause: ReloadCause }
  /** `because`: a stop that no signal asked for (the package manager that started pounce exited);
   *  it is handled as that signal would be. */
  | { type: "stop"; signal: LifecycleSignal; because?: string }
  /** SIGTTIN (+1) / SIGTTOU (-1): change the serving generation's worker count (scale.ts). */
  | { type: "scale"; delta: 1 | -1; signal: ScaleSignal }
  | { type: "worker-message"; worker: WorkerRecord; message: WorkerMessage }
  | { type: "worker-exit"; worker: WorkerRecord; code: number | null; signal: string | null }
  /** From a warm worker not taken yet (warm.ts); a taken one's are its record's worker-message/exit. */
  | { type: "warm-message"; warm: WarmWorker; message: WorkerMessage }
  | { type: "warm-exit"; warm: WarmWorker; code: number | null; signal: string | null }
  /** The configuration for a pending reload was read (or could not be: `error` says why). `ticket`
   *  is the reload request it was read for; a newer request makes it stale. */
  | { type: "config-read"; ticket: number; result: LoadedConfig | { error: string } }
  /** The adapter's closeSharedListener finished: the listener is closed and no connection it
   *  accepted waits for a worker. */
  | { type: "shared-listener-closed" }
  /**
   * A deadline kept in the state came due (startup timeout, drain deadline, stagger step, respawn
   * back-off, reload cooldown, forced-exit grace). One alarm is armed for the earliest of them; the
   * reconcile step acts on every one that has passed.
   */
  | { type: "timer" };

export function describeCause(cause: ReloadCause): string {
  switch (cause.kind) {
    case "signal":
      return `Received ${cause.signal}`;
    case "file":
      return `Change in ${cause.path}`;
    case "control":
      return `Reload asked for by ${cause.via}`;
  }
}
