/**
 * The wrapper's state: copies of the command, each with the deadline that belongs to its status,
 * and the phase. At most one copy serves (`current`) and one starts (`next`); old ones stop.
 */
import type { LifecycleSignal } from "../adapter.ts";
import type { ReloadCause } from "../supervisor/events.ts";
import type { RunningCopy } from "./copy.ts";
import type { ReadyVia } from "./readiness.ts";

export type CopyStatus =
  | { kind: "starting"; deadline: number }
  | { kind: "ready" }
  | { kind: "stopping"; deadline: number; setting: "reload_timeout" | "shutdown_timeout"; timeoutSeconds: number }
  | { kind: "exited" };

export interface CopyRecord {
  readonly n: number;
  /** boot: the first; reload: started beside the current one; restart: after the current one died. */
  readonly purpose: "boot" | "reload" | "restart";
  run?: RunningCopy;
  status: CopyStatus;
  /** Why it is no good (not ready in time), set before it is stopped. */
  failure?: string;
  /** Its process group was SIGKILLed. */
  killed: boolean;
  stopReadiness?: () => void;
}

export type WrapEvent =
  | { type: "reload"; cause: ReloadCause }
  | { type: "stop"; signal: LifecycleSignal }
  | { type: "copy-ready"; copy: CopyRecord; via: ReadyVia }
  /** READY=1 arrived on the copies' NOTIFY_SOCKET, from this pid where the kernel said. */
  | { type: "notify-ready"; senderPid?: number }
  | { type: "copy-exit"; copy: CopyRecord; code: number | null; signal: string | null; failure?: string }
  | { type: "timer" };

export type WrapPhase =
  | { kind: "new" }
  | { kind: "booting" }
  | { kind: "running" }
  | { kind: "stopping"; forced: boolean; giveUpAt?: number }
  | { kind: "exited"; code: number };

export interface WrapState {
  phase: WrapPhase;
  /** Every copy not yet exited. */
  readonly live: Set<CopyRecord>;
  current?: CopyRecord;
  next?: CopyRecord;
  /** A reload asked for while another was under way (one is kept). */
  pendingReload?: ReloadCause;
  /** After the current copy died: the next start, not before (back-off). */
  restartAt?: number;
  /** A copy replaced by a reload is still stopping: "Reload complete" is owed. */
  completionOwed?: CopyRecord;
  nextCopy: number;
}

/** `exit code 3` / `signal SIGKILL`. */
export function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/** The status a shell would report: the code, or 128 + the signal's number. */
export function exitStatus(code: number | null, signal: string | null, signals: Record<string, number>): number {
  if (code !== null) return code;
  return 128 + (signal ? (signals[signal] ?? 0) : 0);
}
