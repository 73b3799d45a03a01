/**
 * The watchdog (--worker-timeout): every serving worker sends a heartbeat from its event loop
 * (src/worker/heartbeat.ts). One that stays silent past the timeout — stuck in a synchronous loop
 * that no request timeout can interrupt, or stopped (SIGSTOP) — is killed with SIGKILL; it then no
 * longer counts toward its generation's target, so the reconcile step starts its replacement at once.
 * Only `ready` workers are watched: a starting one has its startup deadline, a draining one its
 * drain deadline.
 */
import type { Core } from "./core.ts";
import type { WorkerRecord } from "./state.ts";
import { killWorker } from "./workers.ts";

/** How often a worker beats: often enough that a few lost beats never look like silence. */
export function heartbeatInterval(workerTimeoutSeconds: number): number {
  if (workerTimeoutSeconds <= 0) return 1_000;
  return Math.max(50, Math.min(1_000, Math.floor((workerTimeoutSeconds * 1000) / 4)));
}

/** A heartbeat (or readiness) arrived: the worker is alive now. */
export function heard(core: Core, w: WorkerRecord): void {
  w.lastBeat = core.now();
}

function deadlineOf(w: WorkerRecord): number | undefined {
  const timeout = w.generation.config.workerTimeout;
  if (timeout <= 0 || w.killed || w.status.kind !== "ready" || w.lastBeat === undefined) return undefined;
  return w.lastBeat + timeout * 1000;
}

/** Kill every watched worker whose heartbeat is overdue. */
export function enforceHeartbeats(core: Core, workers: WorkerRecord[]): void {
  const now = core.now();
  for (const w of workers) {
    const at = deadlineOf(w);
    if (at === undefined || now < at) continue;
    core.note({
      event: "worker_timeout",
      worker: w.id,
      generation: w.generation.n,
      pid: w.handle?.pid,
      silentMs: now - (w.lastBeat as number),
      timeoutSeconds: w.generation.config.workerTimeout,
      replaced: core.state.phase.kind === "running" && core.state.phase.active === w.generation,
    });
    killWorker(w);
  }
}

/** The earliest heartbeat deadline ahead, for the alarm. */
export function nextHeartbeatDeadline(workers: WorkerRecord[]): number | undefined {
  let at: number | undefined;
  for (const w of workers) {
    const d = deadlineOf(w);
    if (d !== undefined && (at === undefined || d < at)) at = d;
  }
  return at;
}
