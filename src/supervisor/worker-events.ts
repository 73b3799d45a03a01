/**
 * A worker's messages and its exit, as state transitions (the supervisor's event loop calls these;
 * the reconcile step does the rest): ready, draining counts, heartbeats, fatal errors, and what an
 * exit means in each phase (a failed start, a finished drain, a crash to replace).
 */
import type { MetricsAggregate } from "../metrics/aggregate.ts";
import { exposition } from "../metrics/exposition.ts";
import type { WorkerMessage } from "../protocol.ts";
import type { Backoff } from "./backoff.ts";
import type { Core } from "./core.ts";
import { checkLimits } from "./recycle.ts";
import { crashed, markFatal } from "./replacement.ts";
import { lateReady } from "./shutdown.ts";
import type { WorkerRecord } from "./state.ts";
import { heard } from "./watchdog.ts";
import { drainWorker, forget } from "./workers.ts";

export function workerMessage(core: Core, w: WorkerRecord, msg: WorkerMessage, metrics: MetricsAggregate): void {
  const st = w.status;
  switch (msg.type) {
    case "warm":
      // Taken while it was still starting (warm.ts): now it listens, and becomes this worker.
      if (w.assumeOnWarm && !w.killed) w.handle?.assume?.(w.assumeOnWarm);
      w.assumeOnWarm = undefined;
      return;
    case "failed":
      w.failure = msg.message;
      return;
    case "not-ready":
      if (st.kind === "starting") w.notReady = msg.detail;
      return;
    case "counters":
      metrics.report(w.id, msg.counters);
      return;
    case "metrics-request":
      metrics.report(w.id, msg.counters);
      w.handle?.send({ type: "metrics", id: msg.id, text: exposition(metrics, core.snapshot()) });
      return;
    case "ready":
    case "checked":
      if (st.kind !== "starting") return;
      w.status = { kind: "ready" };
      if (msg.type === "checked") return;
      w.inFlight = 0;
      heard(core, w);
      core.note({ event: "worker_ready", worker: w.id, generation: w.generation.n, pid: w.handle?.pid });
      if (core.state.phase.kind === "stopping") {
        if (lateReady(core, (m) => w.handle?.send(m)) === "drain") drainWorker(core, w, "shutdown");
      } else if (w.generation.status === "active")
        core.note(
          w.added
            ? { event: "worker_added", worker: w.id, generation: w.generation.n, workers: w.generation.target }
            : { event: "worker_replacement_ready", worker: w.id, generation: w.generation.n },
        );
      return;
    case "draining":
    case "in-flight": {
      const n = msg.type === "draining" ? msg.inFlight : msg.requests;
      w.inFlight = n;
      if (st.kind === "draining") st.inFlight = n;
      core.note({ event: "worker_load", worker: w.id, inFlight: n });
      return;
    }
    case "heartbeat":
      heard(core, w);
      checkLimits(core, w, msg.served, msg.rss);
      return;
    case "listener-closed":
      if (st.kind === "draining") st.accepting = false;
      return;
    case "idle":
      if (st.kind === "draining" && st.reason !== "shutdown") idle(core, w);
      return;
    case "fatal": {
      const p = core.state.phase;
      if (p.kind === "running" && w.generation === p.active && st.kind === "ready" && !w.fatal) markFatal(core, w, msg.message);
      return;
    }
    default:
      return; // adapter-level messages are the adapter's business
  }
}

export function workerExited(core: Core, w: WorkerRecord, code: number | null, signal: string | null, backoff: Backoff): void {
  const was = w.status;
  if (was.kind === "exited") return;
  w.status = { kind: "exited" };
  forget(core, w);
  const gen = w.generation;
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  core.note({ event: "worker_exited", worker: w.id, generation: gen.n, how });
  const phase = core.state.phase;
  if (phase.kind === "stopping") {
    if (!w.forced && w.mode === "serve" && (was.kind === "draining" || was.kind === "ready"))
      core.note({ event: "worker_stopped", worker: w.id });
    return;
  }
  if (gen.status === "starting") {
    // One worker that cannot start fails its whole generation (boot, reload or import check).
    gen.failure ??= w.failure ?? `worker ${w.id} exited during start-up (${how})`;
    return;
  }
  if (phase.kind !== "running" || w.mode !== "serve") return;
  if (was.kind === "draining") {
    if (was.reason !== "shutdown" && !w.forced) idle(core, w);
    return;
  }
  if (gen !== phase.active) return; // a retired worker waiting its turn to drain: nothing to replace
  if (was.kind === "starting")
    core.note({
      event: "worker_start_failed",
      worker: w.id,
      generation: gen.n,
      cause: w.failure ?? `worker ${w.id} exited during start-up (${how})`,
    });
  else core.note({ event: "worker_died", worker: w.id, generation: gen.n, how });
  crashed(core, phase, backoff);
}

function idle(core: Core, w: WorkerRecord): void {
  if (w.idleLogged) return;
  w.idleLogged = true;
  core.note({ event: "worker_idle", worker: w.id, generation: w.generation.n });
}
