/**
 * The state file: what a running supervisor is doing, for `pounce reload`, `stop` and `status`.
 * It lives beside the pid file (`pounce.pid` → `pounce.pid.state.json`), is replaced atomically on
 * every change (write a temp file, rename) and `pounce status --json` prints it (plus the uptime).
 * The layout is versioned and documented in the README: add fields, never change or remove one.
 */
import { readFileSync } from "node:fs";

export const STATE_VERSION = 1;

export type ServerPhase = "booting" | "running" | "stopping" | "exited";
export type WorkerState = "starting" | "ready" | "draining" | "checking";
export type ReloadOutcome = "in-progress" | "cut-over" | "complete" | "failed";

export interface WorkerEntry {
  id: number;
  pid: number | null;
  generation: number;
  state: WorkerState;
  /** Requests in flight as the worker last reported them (at most once a second); null until ready. */
  in_flight: number | null;
}

export interface ReloadEntry {
  /** 1 for the first reload this supervisor started, +1 per reload. */
  number: number;
  /** Every reload request up to this count (`reloads_requested`) is served by this reload. */
  covers: number;
  /** What asked for it: "SIGHUP", "SIGUSR1", "file <path>", "control <via>". */
  cause: string;
  /** The generation it started (null when it failed before starting one). */
  generation: number | null;
  outcome: ReloadOutcome;
  started_at: string;
  /** When every new connection went to the new generation. */
  cutover_at: string | null;
  /** When the old workers had all exited ("Graceful reload complete"), or when it failed. */
  finished_at: string | null;
  /** Milliseconds from start to cut-over. */
  cutover_ms: number | null;
  /** Milliseconds from start to completion or failure. */
  duration_ms: number | null;
  error: string | null;
}

export interface ServerState {
  version: number;
  pid: number;
  /** The supervisor's start time as /proc/PID/stat says (field 22), to tell a reused PID; null off Linux. */
  start_time: string | null;
  started_at: string;
  phase: ServerPhase;
  /** Set once the supervisor exits. */
  exit_code: number | null;
  entry: string;
  /** e.g. "node v20.20.2"; null until ready. */
  runtime: string | null;
  url: string | null;
  /** The generation serving (null while booting). */
  generation: number | null;
  workers: WorkerEntry[];
  /** --warm-workers: the pre-started workers waiting for a reload (not serving; absent: none kept). */
  warm_workers?: Array<{ pid: number | null; state: "starting" | "waiting" }>;
  /** Reload requests heard so far (signals, file changes, control commands). */
  reloads_requested: number;
  last_reload: ReloadEntry | null;
}

export function statePathFor(pidFile: string): string {
  return `${pidFile}.state.json`;
}

/** The state file's content, or undefined when it is missing or not (yet) a state file. */
export function readState(path: string): ServerState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as ServerState;
    return typeof s === "object" && s !== null && typeof s.pid === "number" && typeof s.version === "number" ? s : undefined;
  } catch {
    return undefined;
  }
}
