/**
 * The reconcile step, run after every event: from the state alone, decide what happens next —
 * enforce the deadlines that have passed (a heartbeat overdue among them), finish boot, move the rollout on, take the next stagger
 * step, apply a worker count change that waited for a rollout, keep the worker count, start a pending reload, declare a reload or a shutdown complete, keep the warm workers —
 * and return when to wake up next. No progress depends on a handler remembering to re-check.
 */
import { EXIT } from "../errors.ts";
import type { Core } from "./core.ts";
import { settleCutover } from "./cutover.ts";
import { nextReloadAt, takeStartableReload } from "./reload-queue.ts";
import { maintainWorkers, nextRespawnAt } from "./replacement.ts";
import { advanceRetiring, advanceRollout, restartHandOverEnd, settleCompletion, startReload } from "./rollout.ts";
import { applyPendingScale } from "./scale.ts";
import { advanceListenerHandOver, advanceShutdownDelay } from "./shutdown.ts";
import { allLive, generationReady, type Running } from "./state.ts";
import { maintainWarm } from "./warm.ts";
import { enforceHeartbeats, nextHeartbeatDeadline } from "./watchdog.ts";
import { enforceWorkerDeadlines, killWorker, nextWorkerDeadline } from "./workers.ts";

/** Returns the earliest deadline still ahead (ms since the epoch), or undefined. */
export function reconcile(core: Core): number | undefined {
  const s = core.state;
  enforceWorkerDeadlines(core, allLive(s));
  enforceHeartbeats(core, allLive(s));
  const phase = s.phase;
  switch (phase.kind) {
    case "stopping": {
      const delayEnd = advanceShutdownDelay(core);
      const handOverEnd = advanceListenerHandOver(core);
      const live = allLive(s).length;
      if (live === 0 || (phase.giveUpAt !== undefined && core.now() >= phase.giveUpAt)) {
        if (live === 0 && !phase.forced) core.note({ event: "stopped" });
        core.exit(phase.forced ? EXIT.failure : EXIT.ok);
        return undefined;
      }
      return earliest(nextWorkerDeadline(allLive(s)), nextHeartbeatDeadline(allLive(s)), phase.giveUpAt, delayEnd, handOverEnd);
    }
    case "booting": {
      const gen = phase.gen;
      if (gen.failure !== undefined) {
        for (const w of gen.workers) killWorker(w);
        core.note({ event: "boot_failed", generation: gen.n, cause: gen.failure });
        core.exit(EXIT.failure);
        return undefined;
      }
      if (!generationReady(gen)) return earliest(nextWorkerDeadline(allLive(s)), nextHeartbeatDeadline(allLive(s)));
      gen.status = "active";
      s.phase = { kind: "running", active: gen };
      core.note({
        event: "ready",
        listen: core.listen,
        ...(gen.config.tls ? { tls: true as const } : {}),
        generation: gen.n,
        workers: gen.target,
        runtime: core.adapter.runtime,
      });
      return reconcileRunning(core, s.phase);
    }
    case "running":
      return reconcileRunning(core, phase);
    case "new":
    case "exited":
      return undefined;
  }
}

function reconcileRunning(core: Core, run: Running): number | undefined {
  advanceRollout(core, run);
  if (core.state.phase !== run) return undefined; // the rollout gave up (exit)
  advanceRetiring(core, run);
  applyPendingScale(core, run);
  maintainWorkers(core, run);
  if (takeStartableReload(core, run)) startReload(core, run);
  settleCutover(core, run);
  settleCompletion(core, run);
  maintainWarm(core, run);
  const live = allLive(core.state);
  return earliest(
    nextWorkerDeadline(live),
    nextHeartbeatDeadline(live),
    run.retiring?.nextAt,
    nextRespawnAt(run),
    nextReloadAt(core, run),
    restartHandOverEnd(run),
  );
}

function earliest(...times: Array<number | undefined>): number | undefined {
  let at: number | undefined;
  for (const t of times) if (t !== undefined && (at === undefined || t < at)) at = t;
  return at;
}
