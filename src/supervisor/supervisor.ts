/**
 * The supervisor: one process that keeps its PID, owns the signals and runs generations of workers.
 * It reads as event → transition → reconcile: everything that happens arrives through `dispatch`
 * (events.ts), one handler per event changes the state (state.ts), then the reconcile step
 * (reconcile.ts) decides what follows from the state alone. Observers (log lines, pid file) hear
 * the transitions as notes. Events are handled one at a time, so reload, shutdown and crash handling
 * never interleave half-way.
 *
 * The policy, by file: rollout.ts (overlap with stagger, stop-then-start), replacement.ts (crash
 * replacement, fatal-error replacement), backoff.ts (respawn back-off), reload-queue.ts (coalescing
 * and cooldown), workers.ts (spawn, drain, deadlines), log-lines.ts (every log line).
 */
import type { LifecycleSignal, RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import type { ResolvedEntry } from "../entry.ts";
import type { Logger } from "../log.ts";
import type { WorkerMessage } from "../protocol.ts";
import { Backoff } from "./backoff.ts";
import { Alarm, type Clock, systemClock } from "./clock.ts";
import type { Core } from "./core.ts";
import type { ReloadCause, SupervisorEvent } from "./events.ts";
import { logObserver } from "./log-lines.ts";
import type { Note, Observer } from "./notes.ts";
import { pidFileObserver } from "./pid-file.ts";
import { reconcile } from "./reconcile.ts";
import { requestReload } from "./reload-queue.ts";
import { crashed, markFatal } from "./replacement.ts";
import { allLive, type SupervisorState, type WorkerRecord } from "./state.ts";
import { drainWorker, forget, killWorker, startGeneration } from "./workers.ts";

/** After a second stop signal, exit this long after the kills even if one is not reaped. */
const FORCED_EXIT_GRACE_MS = 1_000;

export interface SupervisorOptions {
  config: Config;
  adapter: RuntimeAdapter;
  log: Logger;
  entry: ResolvedEntry;
  /** The concrete port (already resolved when the config said 0). */
  port: number;
  /** Socket activation: the inherited socket every worker serves on. */
  listenFd?: number;
  cwd: string;
  pid: number;
  /** Defaults to the system clock; unit tests pass a fake one. */
  clock?: Clock;
}

export class Supervisor implements Core {
  readonly state: SupervisorState = {
    phase: { kind: "new" },
    reloads: { lastStartAt: Number.NEGATIVE_INFINITY },
    generations: new Set(),
    nextWorkerId: 0,
    nextGeneration: 0,
  };
  readonly adapter: RuntimeAdapter;
  readonly overlap: boolean;
  config: Config;
  readonly port: number;
  readonly listenFd?: number;
  readonly cwd: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #alarm: Alarm;
  readonly #backoff = new Backoff();
  readonly #bootEntry: ResolvedEntry;
  readonly #observers: Observer[] = [];
  readonly #queue: SupervisorEvent[] = [];
  #dispatching = false;

  constructor(opts: SupervisorOptions) {
    this.config = opts.config;
    this.adapter = opts.adapter;
    this.#log = opts.log;
    this.cwd = opts.cwd;
    this.port = opts.port;
    this.listenFd = opts.listenFd;
    this.#bootEntry = opts.entry;
    this.#clock = opts.clock ?? systemClock;
    this.#alarm = new Alarm(this.#clock, () => this.dispatch({ type: "timer" }));
    this.overlap = opts.config.reloadStrategy === "overlap" || (opts.config.reloadStrategy === "auto" && opts.adapter.canOverlap);
    // The pid file first: it exists by the time "Ready to accept connections" is read.
    if (opts.config.pidFile) this.observe(pidFileObserver(opts.config.pidFile, opts.pid, (n) => this.note(n)));
    this.observe(logObserver(opts.log));
  }

  /** Hear every transition (log, pid file; next: systemd notify, status, metrics). */
  observe(observer: Observer): void {
    this.#observers.push(observer);
  }

  start(): void {
    const a = this.adapter;
    a.setTitle(`pounce: supervisor ${this.config.entry}`);
    const reload = (signal: LifecycleSignal) => () => this.dispatch({ type: "reload", cause: { kind: "signal", signal } });
    const stop = (signal: LifecycleSignal) => () => this.dispatch({ type: "stop", signal });
    a.onSignal("SIGHUP", reload("SIGHUP"));
    a.onSignal("SIGUSR1", reload("SIGUSR1"));
    a.onSignal("SIGTERM", stop("SIGTERM"));
    a.onSignal("SIGINT", stop("SIGINT"));
    if (!this.overlap) {
      const why =
        this.config.reloadStrategy === "restart"
          ? "--reload-strategy restart"
          : (a.overlapUnavailableReason ?? "no port sharing");
      this.note({ event: "reload_strategy_restart", why });
    }
    this.state.phase = { kind: "booting", gen: startGeneration(this, this.#bootEntry, "boot") };
    this.dispatch({ type: "timer" });
  }

  now(): number {
    return this.#clock.now();
  }

  /** The one door in: handle the event, then reconcile. Events raised meanwhile wait their turn. */
  dispatch(event: SupervisorEvent): void {
    if (event.type === "worker-message" && event.message.type === "log") {
      this.#log.write(event.message.record); // a log record changes no state
      return;
    }
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let e = this.#queue.shift(); e; e = this.#queue.shift()) {
        if (this.#exited()) continue;
        this.#handle(e);
        const wakeAt = reconcile(this);
        if (!this.#exited()) this.#alarm.set(wakeAt);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #exited(): boolean {
    return this.state.phase.kind === "exited";
  }

  note(note: Note): void {
    for (const observe of this.#observers) observe(note);
  }

  exit(code: number): void {
    if (this.state.phase.kind === "exited") return;
    this.state.phase = { kind: "exited", code };
    this.#alarm.set(undefined);
    this.note({ event: "exiting", code });
    this.adapter.exit(code);
  }

  /** What is running now, for tests and status reports. */
  snapshot() {
    const p = this.state.phase;
    return {
      phase: p.kind,
      active: p.kind === "running" ? p.active?.n : undefined,
      rollout: p.kind === "running" ? p.rollout?.kind : undefined,
      pendingReload: this.state.reloads.pending !== undefined,
      generations: [...this.state.generations].map((g) => g.n),
      workers: allLive(this.state).map((w) => ({
        id: w.id,
        generation: w.generation.n,
        mode: w.mode,
        status: w.status.kind,
        fatal: w.fatal !== undefined,
      })),
    };
  }

  // ── event handlers: each changes the state; the reconcile step does the rest ──────────────

  #handle(e: SupervisorEvent): void {
    switch (e.type) {
      case "reload":
        this.#onReload(e.cause);
        return;
      case "stop":
        this.#onStop(e.signal);
        return;
      case "worker-message":
        this.#onMessage(e.worker, e.message);
        return;
      case "worker-exit":
        this.#onExit(e.worker, e.code, e.signal);
        return;
      case "timer":
        return; // the reconcile step acts on every deadline that has passed
    }
  }

  #onReload(cause: ReloadCause): void {
    if (this.state.phase.kind === "stopping") {
      this.note({ event: "reload_ignored", cause });
      return;
    }
    this.note({ event: "reload_requested", cause });
    const queued = requestReload(this, cause);
    if (queued) this.note(queued);
  }

  #onStop(signal: LifecycleSignal): void {
    const s = this.state;
    const phase = s.phase;
    if (phase.kind === "stopping") {
      this.note({ event: "shutdown_forced", signal });
      phase.forced = true;
      phase.giveUpAt = this.now() + FORCED_EXIT_GRACE_MS;
      for (const w of allLive(s)) killWorker(w);
      return;
    }
    this.note({ event: "shutdown_requested", signal });
    s.reloads.pending = undefined;
    if (phase.kind === "running" && phase.rollout && "gen" in phase.rollout) {
      // A generation still starting never served: stop it.
      phase.rollout.gen.status = "failed";
      for (const w of phase.rollout.gen.workers) killWorker(w);
    }
    const serving = allLive(s).filter((w) => w.status.kind !== "starting" && !w.killed);
    s.phase = { kind: "stopping", forced: false };
    if (phase.kind === "running") this.note({ event: "shutting_down", workers: serving.length });
    for (const w of allLive(s)) if (!w.killed) drainWorker(this, w, "shutdown");
  }

  #onMessage(w: WorkerRecord, msg: WorkerMessage): void {
    const st = w.status;
    switch (msg.type) {
      case "failed":
        w.failure = msg.message;
        return;
      case "ready":
      case "checked":
        if (st.kind !== "starting") return;
        w.status = { kind: "ready" };
        if (msg.type === "checked") return;
        this.note({ event: "worker_ready", worker: w.id, generation: w.generation.n, pid: w.handle?.pid });
        if (this.state.phase.kind === "stopping") drainWorker(this, w, "shutdown");
        else if (w.generation.status === "active")
          this.note({ event: "worker_replacement_ready", worker: w.id, generation: w.generation.n });
        return;
      case "draining":
        if (st.kind === "draining") st.inFlight = msg.inFlight;
        return;
      case "idle":
        if (st.kind === "draining" && st.reason !== "shutdown") this.#idle(w);
        return;
      case "fatal": {
        const p = this.state.phase;
        if (p.kind === "running" && w.generation === p.active && st.kind === "ready" && !w.fatal) markFatal(this, w, msg.message);
        return;
      }
      default:
        return; // adapter-level messages are the adapter's business
    }
  }

  #onExit(w: WorkerRecord, code: number | null, signal: string | null): void {
    const was = w.status;
    if (was.kind === "exited") return;
    w.status = { kind: "exited" };
    forget(this, w);
    const gen = w.generation;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const phase = this.state.phase;
    if (phase.kind === "stopping") {
      if (!w.forced && w.mode === "serve" && (was.kind === "draining" || was.kind === "ready"))
        this.note({ event: "worker_stopped", worker: w.id });
      return;
    }
    if (gen.status === "starting") {
      // One worker that cannot start fails its whole generation (boot, reload or import check).
      gen.failure ??= w.failure ?? `worker ${w.id} exited during start-up (${how})`;
      return;
    }
    if (phase.kind !== "running" || w.mode !== "serve") return;
    if (was.kind === "draining") {
      if (was.reason !== "shutdown" && !w.forced) this.#idle(w);
      return;
    }
    if (gen !== phase.active) return; // a retired worker waiting its turn to drain: nothing to replace
    if (was.kind === "starting")
      this.note({
        event: "worker_start_failed",
        worker: w.id,
        generation: gen.n,
        cause: w.failure ?? `worker ${w.id} exited during start-up (${how})`,
      });
    else this.note({ event: "worker_died", worker: w.id, generation: gen.n, how });
    crashed(this, phase, this.#backoff);
  }

  #idle(w: WorkerRecord): void {
    if (w.idleLogged) return;
    w.idleLogged = true;
    this.note({ event: "worker_idle", worker: w.id, generation: w.generation.n });
  }
}
