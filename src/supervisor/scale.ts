/**
 * Workers on the fly, as gunicorn does it: SIGTTIN adds a worker to the serving generation, SIGTTOU
 * drains one through the normal drain path (never below 1).
 * - The new count is kept as an override, with the config's `workers` it was set against. Later
 *   generations (reloads) start with it as long as they start with that same config count; a
 *   generation whose config says another count (the config file changed) starts with the config's,
 *   and the override is dropped.
 * - A change asked for while a generation is starting (boot, or a reload in progress) waits until that
 *   settles — the new generation serving, or the reload failed — and then applies to whichever
 *   generation serves. It never changes a generation half-way through its readiness gate.
 * - During shutdown it is ignored.
 */
import type { ScaleSignal } from "../adapter.ts";
import type { Core } from "./core.ts";
import { surplus } from "./replacement.ts";
import type { Generation, Running } from "./state.ts";
import { drainWorker, spawnWorker } from "./workers.ts";

/** The most workers a generation may have (the bound --workers has). */
export const MAX_WORKERS = 1024;

/** The scale event's handler: apply now, or keep it until the generation starting has settled. */
export function requestScale(core: Core, delta: 1 | -1, signal: ScaleSignal): void {
  const s = core.state;
  const phase = s.phase;
  if (phase.kind === "stopping") {
    core.note({ event: "scale_ignored", signal });
    return;
  }
  if (phase.kind === "running" && !phase.rollout && phase.active) {
    applyScale(core, phase.active, delta, signal);
    return;
  }
  if (phase.kind !== "booting" && phase.kind !== "running") return;
  s.scale.pending.push({ delta, signal });
  core.note({ event: "scale_queued", signal, wait: phase.kind === "booting" ? "boot" : "rollout" });
}

/** Reconcile step: apply the changes kept while a generation was starting, once nothing is. */
export function applyPendingScale(core: Core, run: Running): void {
  if (run.rollout || !run.active) return;
  const active = run.active;
  for (const p of core.state.scale.pending.splice(0)) applyScale(core, active, p.delta, p.signal);
}

/** The worker count a new generation starts with: the override while it still holds, else the config's. */
export function workerTarget(core: Core): number {
  const s = core.state.scale;
  const configured = core.config.workers;
  const o = s.override;
  if (!o) return configured;
  if (o.against === configured) return o.workers;
  s.override = undefined;
  core.note({ event: "scale_override_dropped", configured, override: o.workers });
  return configured;
}

function applyScale(core: Core, gen: Generation, delta: 1 | -1, signal: ScaleSignal): void {
  const from = gen.target;
  const refused =
    delta < 0 && from <= 1
      ? "never below 1"
      : delta > 0 && from >= MAX_WORKERS
        ? `at most ${MAX_WORKERS}`
        : delta > 0 && core.listen.kind === "unix" && !core.adapter.unixSocketShared
          ? `one worker only: on ${core.adapter.runtime} each worker binds its own listener, and one unix socket is served by one`
          : delta > 0 && core.listen.kind !== "unix" && !core.adapter.canOverlap
            ? `one worker only: ${core.adapter.overlapUnavailableReason ?? "no port sharing"}`
            : undefined;
  if (refused) {
    core.note({ event: "scale_refused", signal, workers: from, why: refused });
    return;
  }
  gen.target = from + delta;
  const s = core.state.scale;
  s.override = gen.target === gen.config.workers ? undefined : { workers: gen.target, against: gen.config.workers };
  if (delta > 0) {
    const w = spawnWorker(core, gen, "serve");
    w.added = true;
    core.note({ event: "scale", signal, from, to: gen.target, worker: w.id, adding: true });
    return;
  }
  // The one to go: a worker still starting if there is one (it never served), else the oldest.
  const [w] = surplus(gen);
  core.note({ event: "scale", signal, from, to: gen.target, worker: w?.id, adding: false });
  if (w) drainWorker(core, w, "scale");
}
