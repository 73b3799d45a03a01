/**
 * The supervisor observer that keeps the state file (state.ts) current. Notes tell it that
 * something changed; it then writes the supervisor's snapshot once that event has been handled
 * (a microtask later, so one event that makes ten notes is one write), and only when the content
 * changed. The reload record is folded from the reload notes. The last write, on exit, is
 * synchronous: the process ends right after it.
 */
import { renameSync, writeFileSync } from "node:fs";
import { describe } from "../errors.ts";
import { addressUrl } from "../listen-target.ts";
import { describeCause } from "../supervisor/events.ts";
import type { Note, Observer } from "../supervisor/notes.ts";
import type { Snapshot } from "../supervisor/snapshot.ts";
import { processStartTime } from "./proc.ts";
import { type ReloadEntry, type ServerPhase, type ServerState, STATE_VERSION, type WorkerEntry } from "./state.ts";

/** In-flight counts alone are written at most this often. */
const LOAD_WRITE_MS = 1_000;

/** What the observer reads of the supervisor when it writes (Supervisor#snapshot). */
export interface SnapshotSource {
  snapshot(): Snapshot;
}

export interface StateFileOptions {
  path: string;
  pid: number;
  entry: string;
  supervisor: SnapshotSource;
  /** A write that failed (reported once). */
  note(n: Note): void;
  now?: () => number;
}

export function stateFileObserver(opts: StateFileOptions): Observer {
  const now = opts.now ?? Date.now;
  const iso = (t: number) => new Date(t).toISOString();
  const state: ServerState = {
    version: STATE_VERSION,
    pid: opts.pid,
    start_time: processStartTime(opts.pid) ?? null,
    started_at: iso(now()),
    phase: "booting",
    exit_code: null,
    entry: opts.entry,
    runtime: null,
    url: null,
    generation: null,
    workers: [],
    reloads_requested: 0,
    last_reload: null,
  };
  let reloadsStarted = 0;
  let lastCause = "";
  let startedAt = 0;
  let open: ReloadEntry | undefined;
  let written = "";
  let scheduled = false;
  let failed = false;
  let loadPending = false;

  const write = () => {
    scheduled = false;
    const snap = opts.supervisor.snapshot();
    if (state.phase !== "exited") {
      state.phase = phaseOf(snap.phase);
      state.generation = snap.active ?? null;
      state.workers = snap.workers.map(workerEntry);
      if (snap.warm?.length) state.warm_workers = snap.warm.map((w) => ({ pid: w.pid ?? null, state: w.status }));
      else delete state.warm_workers;
    } else {
      state.workers = [];
      delete state.warm_workers;
    }
    const text = `${JSON.stringify(state, null, 2)}\n`;
    if (text === written) return;
    try {
      const tmp = `${opts.path}.${opts.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, opts.path);
      written = text;
      failed = false;
    } catch (err) {
      if (!failed) opts.note({ event: "state_file_error", file: opts.path, message: describe(err) });
      failed = true;
    }
  };

  const begin = (): ReloadEntry => {
    startedAt = now();
    const entry: ReloadEntry = {
      number: ++reloadsStarted,
      covers: state.reloads_requested,
      cause: lastCause,
      generation: null,
      outcome: "in-progress",
      started_at: iso(startedAt),
      cutover_at: null,
      finished_at: null,
      cutover_ms: null,
      duration_ms: null,
      error: null,
    };
    state.last_reload = entry;
    return entry;
  };

  const finish = (outcome: "complete" | "failed", error?: string) => {
    if (!open) return;
    const t = now();
    open.outcome = outcome;
    open.finished_at = iso(t);
    open.duration_ms = t - startedAt;
    if (error !== undefined) open.error = error;
    open = undefined;
  };

  return (n) => {
    switch (n.event) {
      case "ready":
        state.runtime = n.runtime;
        state.url = addressUrl(n.listen, n.tls);
        // At once, not a microtask later: registered before the log (Supervisor#observeFirst), the
        // file says "running" by the time "Ready to accept connections" can be read.
        write();
        return;
      case "reload_requested":
        state.reloads_requested++;
        lastCause = n.cause.kind === "signal" ? n.cause.signal : describeCause(n.cause);
        break;
      case "reload_started":
        open = begin();
        break;
      case "generation_starting":
        if (open && open.generation === null) open.generation = n.generation;
        break;
      case "reload_failed":
        // A reload refused before it started (no reload_started) is still the outcome waited for.
        if (open?.outcome !== "in-progress") open = begin();
        if (n.generation !== undefined) open.generation = n.generation;
        finish("failed", n.cause);
        break;
      case "cutover_complete":
        if (open && open.generation === n.generation) {
          const t = now();
          open.outcome = "cut-over";
          open.cutover_at = iso(t);
          open.cutover_ms = t - startedAt;
        }
        break;
      case "reload_complete":
        if (open && open.generation === n.generation) finish("complete");
        break;
      case "shutdown_requested":
        if (open && open.outcome === "in-progress") finish("failed", `interrupted by ${n.signal} (shutdown)`);
        open = undefined;
        break;
      case "exiting":
        state.phase = "exited";
        state.exit_code = n.code;
        write();
        return;
      case "state_file_error":
        return;
      case "worker_load":
        // Counts change all the time under load: write them at most once a second.
        if (!loadPending) {
          loadPending = true;
          setTimeout(() => {
            loadPending = false;
            write();
          }, LOAD_WRITE_MS);
        }
        return;
    }
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(write);
    }
  };
}

function phaseOf(kind: string): ServerPhase {
  return kind === "new" ? "booting" : (kind as ServerPhase);
}

function workerEntry(w: Snapshot["workers"][number]): WorkerEntry {
  return {
    id: w.id,
    pid: w.pid ?? null,
    generation: w.generation,
    state: w.mode === "check" ? "checking" : (w.status as WorkerEntry["state"]),
    in_flight: w.inFlight ?? null,
  };
}
