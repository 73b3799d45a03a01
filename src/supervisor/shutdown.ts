/**
 * Shutdown policy: a stop signal either drains every worker at once, or — with `shutdown_delay` —
 * first keeps serving for that long while every worker's health endpoint already answers 503, so a
 * load balancer (a Kubernetes readiness probe, an ELB health check) takes the instance out of
 * rotation before it stops accepting. This is the built-in `preStop: sleep` hook for images that
 * have no shell to run one.
 *
 * A second stop signal during the delay ends the delay (drain now); one after that kills everything.
 *
 * Where the supervisor process itself accepts connections for the workers (the adapter's
 * `closeSharedListener`), the drain starts only once that listener is closed and every connection
 * the kernel had accepted on it has reached a worker that still serves normally: closing it later,
 * when the last worker leaves, would reset them after their clients had sent a request. That
 * hand-over and the drain after it share one shutdown_timeout, counted from the signal (or the
 * delay's end): the drain gets what the hand-over left (an overloaded Node 20 primary took 7.9 s to
 * hand out ~4,000 queued connections), so a process manager's stop timeout above shutdown_timeout
 * still holds.
 */
import type { LifecycleSignal } from "../adapter.ts";
import type { Core } from "./core.ts";
import { allLive } from "./state.ts";
import { killAllWarm } from "./warm.ts";
import { drainWorker, killWorker } from "./workers.ts";

/** After a forced stop, exit this long after the kills even if one is not reaped. */
const FORCED_EXIT_GRACE_MS = 1_000;

export function requestStop(core: Core, signal: LifecycleSignal, because?: string): void {
  const s = core.state;
  const phase = s.phase;
  if (phase.kind === "stopping") {
    if (phase.drainAt !== undefined) {
      core.note({ event: "shutdown_delay_cut", signal });
      drainAll(core);
      return;
    }
    core.note({ event: "shutdown_forced", signal });
    phase.forced = true;
    phase.giveUpAt = core.now() + FORCED_EXIT_GRACE_MS;
    for (const w of allLive(s)) killWorker(w);
    return;
  }
  core.note({ event: "shutdown_requested", signal, ...(because ? { because } : {}) });
  s.reloads.pending = undefined;
  killAllWarm(core); // they never served
  if (phase.kind === "running" && phase.rollout && "gen" in phase.rollout) {
    // A generation still starting never served: stop it. In a batched reload its ready batches
    // have served: they drain below with the rest.
    const r = phase.rollout;
    const served = r.kind === "rollback" || (r.kind === "overlap" && r.batch !== undefined);
    r.gen.status = "failed";
    for (const w of r.gen.workers) if (!served || w.status.kind === "starting") killWorker(w);
  }
  const delaySeconds = core.config.shutdownDelay;
  s.phase = { kind: "stopping", forced: false };
  if (phase.kind === "running" && delaySeconds > 0) {
    s.phase.drainAt = core.now() + delaySeconds * 1000;
    for (const w of allLive(s)) if (w.status.kind === "ready") w.handle?.send({ type: "unready" });
    core.note({ event: "shutdown_delayed", seconds: delaySeconds });
    return;
  }
  drainAll(core, phase.kind === "running");
}

/** The reconcile step's part: the delay is over → drain. Returns the delay's end while it runs. */
export function advanceShutdownDelay(core: Core): number | undefined {
  const phase = core.state.phase;
  if (phase.kind !== "stopping" || phase.drainAt === undefined) return undefined;
  if (core.now() < phase.drainAt) return phase.drainAt;
  drainAll(core);
  return undefined;
}

function drainAll(core: Core, announce = true): void {
  const s = core.state;
  const phase = s.phase;
  if (phase.kind !== "stopping") return;
  phase.drainAt = undefined;
  const live = allLive(s).filter((w) => !w.killed);
  const serving = live.filter((w) => w.status.kind !== "starting");
  if (announce) core.note({ event: "shutting_down", workers: serving.length });
  const closeListener = core.adapter.closeSharedListener;
  if (closeListener && serving.length > 0) {
    // Starting workers never served: they go now; the serving ones keep taking connections.
    for (const w of live) if (w.status.kind === "starting") drainWorker(core, w, "shutdown");
    phase.handOverUntil = core.now() + core.config.shutdownTimeout * 1000;
    handOverSharedListener(core);
    return;
  }
  drainWorkers(core);
}

/** Start the adapter's closeSharedListener; its end comes back as a `shared-listener-closed` event
 *  (the caller bounds the wait with a deadline of its own). */
export function handOverSharedListener(core: Core): void {
  const done = () => core.dispatch({ type: "shared-listener-closed" });
  core.adapter.closeSharedListener?.call(core.adapter).then(done, done);
}

function drainWorkers(core: Core, timeoutMsLeft?: number): void {
  for (const w of allLive(core.state)) if (!w.killed) drainWorker(core, w, "shutdown", { timeoutMsLeft });
}

/** The adapter's listener is closed and handed over: the workers drain. */
export function listenerHandedOver(core: Core): void {
  const phase = core.state.phase;
  if (phase.kind !== "stopping" || phase.handOverUntil === undefined) return;
  const left = Math.max(0, phase.handOverUntil - core.now());
  phase.handOverUntil = undefined;
  if (!phase.forced) drainWorkers(core, left);
}

/** The reconcile step's part: the hand-over took too long → drain. Returns its deadline while it runs. */
export function advanceListenerHandOver(core: Core): number | undefined {
  const phase = core.state.phase;
  if (phase.kind !== "stopping" || phase.handOverUntil === undefined) return undefined;
  if (core.now() < phase.handOverUntil) return phase.handOverUntil;
  listenerHandedOver(core);
  return undefined;
}

/** A worker that became ready while the server is stopping: drain it, or hold it unready. */
export function lateReady(core: Core, send: (msg: { type: "unready" }) => void): "drain" | "hold" {
  const phase = core.state.phase;
  if (phase.kind === "stopping" && phase.drainAt !== undefined) {
    send({ type: "unready" });
    return "hold";
  }
  return "drain";
}
