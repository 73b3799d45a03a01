/**
 * Signals that arrived before the supervisor could handle them. bin/pounce.mjs catches SIGHUP,
 * SIGUSR1, SIGTERM, SIGINT, SIGTTIN and SIGTTOU as its first statement (their default action would
 * kill or stop the process while pounce is still loading) and queues them; once the supervisor's handlers are installed,
 * main() hands the queue over here.
 */
import type { LifecycleSignal } from "../adapter.ts";

/** The queue bin/pounce.mjs keeps. `take()` returns it (arrival order, one per kind) and stops catching. */
export interface EarlySignals {
  take(): LifecycleSignal[];
}

/**
 * Call right after `Supervisor#start()` installed its handlers. Each queued signal is raised again,
 * to this process, so it takes exactly the path a live one takes: the adapter's handler (and, under
 * bunx, its de-duplication of relayed copies), then the supervisor's policy (a reload is remembered
 * until start-up completes; a stop during boot stops it). Returns what was handed over.
 */
export function handOverEarlySignals(early: EarlySignals | undefined): LifecycleSignal[] {
  const queued = early?.take() ?? [];
  for (const sig of queued) process.kill(process.pid, sig);
  return queued;
}
