/**
 * The supervisor: one process that keeps its PID, owns the signals and runs generations of workers.
 * It reads as event → transition → reconcile: everything that happens arrives through `dispatch`
 * (events.ts), one handler per event changes the state (state.ts), then the reconcile step
 * (reconcile.ts) decides what follows from the state alone. Observers (log lines, pid file) hear
 * the transitions as notes. Events are handled one at a time, so reload, shutdown and crash handling
 * never interleave half-way.
 *
 * The policy, by file: rollout.ts (overlap with stagger, stop-then-start), replacement.ts (crash
 * replacement, fatal-error replacement), watchdog.ts (--worker-timeout), recycle.ts (--max-requests,
 * --max-worker-memory), backoff.ts (respawn back-off), reload-queue.ts (coalescing
 * and cooldown), scale.ts (SIGTTIN/SIGTTOU), reload-batch.ts (--reload-batch), workers.ts (spawn,
 * drain, deadlines), warm.ts (--warm-workers), worker-events.ts (a worker's messages and exit),
 * log-lines.ts (every log line).
 */
import type { LifecycleSignal, RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import type { LoadedConfig } from "../config-source.ts";
import type { ResolvedEntry } from "../entry.ts";
import { describe } from "../errors.ts";
import { type ListenTarget, supervisorTitle } from "../listen-target.ts";
import type { Logger } from "../log.ts";
import { MetricsAggregate } from "../metrics/aggregate.ts";
import type { RunAs } from "../privileges.ts";
import { type AppOutput, appOutput } from "./app-output.ts";
import { Backoff } from "./backoff.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Core } from "./core.ts";
import { EventLoop } from "./event-loop.ts";
import type { ReloadCause, SupervisorEvent } from "./events.ts";
import { logObserver } from "./log-lines.ts";
import type { Note, Observer } from "./notes.ts";
import { pidFileObserver } from "./pid-file.ts";
import type { PrespawnedWorker } from "./prespawn.ts";
import { reconcile } from "./reconcile.ts";
import { configRead, requestReload } from "./reload-queue.ts";
import { restartHandedOver } from "./rollout.ts";
import { requestScale } from "./scale.ts";
import { shownTitle } from "./shown-title.ts";
import { listenerHandedOver, requestStop } from "./shutdown.ts";
import { type Snapshot, snapshotOf } from "./snapshot.ts";
import type { SupervisorState } from "./state.ts";
import type { UnixSocket } from "./unix-socket.ts";
import { adoptPrespawned, killAllWarm, warmExited, warmMessage } from "./warm.ts";
import { workerExited, workerMessage } from "./worker-events.ts";
import { startGeneration } from "./workers.ts";

export interface SupervisorOptions {
  config: Config;
  adapter: RuntimeAdapter;
  log: Logger;
  entry: ResolvedEntry;
  /** Where to listen: TCP with the concrete port (already resolved when the config said 0), the
   *  unix socket's public path, or the socket systemd passed (socket activation). */
  listen: ListenTarget;
  /** With --uds: the socket's private names and publication (renames over the public path). */
  unixSocket?: UnixSocket;
  cwd: string;
  pid: number;
  /** --user/--group: every worker runs as this uid/gid (resolved at start, src/privileges.ts). */
  runAs?: RunAs;
  /** Defaults to the system clock; unit tests pass a fake one. */
  clock?: Clock;
  /** What `ps` shows once the title is set (defaults to /proc/self/cmdline; unit tests pass none). */
  shownTitle?: () => string | undefined;
  /**
   * Read the configuration again (config file, symlinked working directory) for a reload about to
   * start. A rejection refuses that reload: the serving generation keeps its configuration. Without
   * it, every generation starts with `config` in `cwd`.
   */
  reloadConfig?: () => Promise<LoadedConfig>;
  /** A worker the command line started before the configuration was read (prespawn.ts): boot takes it. */
  prespawned?: PrespawnedWorker;
}

export class Supervisor implements Core {
  readonly state: SupervisorState = {
    phase: { kind: "new" },
    reloads: { lastStartAt: Number.NEGATIVE_INFINITY, requests: 0 },
    scale: { pending: [] },
    generations: new Set(),
    nextWorkerId: 0,
    nextGeneration: 0,
    warm: { workers: new Set(), lost: 0, nextId: 1, unsupported: false },
  };
  readonly adapter: RuntimeAdapter;
  readonly overlap: boolean;
  config: Config;
  readonly listen: ListenTarget;
  readonly runAs?: RunAs;
  cwd: string;
  readonly #unixSocket: UnixSocket | undefined;
  readonly #log: Logger;
  readonly #reloadConfig?: () => Promise<LoadedConfig>;
  /** The configuration and directory of what serves: a reload that fails goes back to them. */
  #serving: { config: Config; cwd: string };
  readonly #clock: Clock;
  readonly #shownTitle: () => string | undefined;
  readonly #loop: EventLoop<SupervisorEvent>;
  readonly #backoff = new Backoff();
  readonly #bootEntry: ResolvedEntry;
  readonly #prespawned?: PrespawnedWorker;
  readonly #observers: Observer[] = [];
  /** --metrics-path: the workers' counters and the lifecycle notes, summed (src/metrics/). */
  readonly #metrics = new MetricsAggregate(() => this.now());

  constructor(opts: SupervisorOptions) {
    this.config = opts.config;
    this.adapter = opts.adapter;
    this.#log = opts.log;
    this.cwd = opts.cwd;
    this.listen = opts.listen;
    this.runAs = opts.runAs;
    this.#unixSocket = opts.unixSocket;
    this.#bootEntry = opts.entry;
    this.#reloadConfig = opts.reloadConfig;
    this.#prespawned = opts.prespawned;
    this.#serving = { config: opts.config, cwd: opts.cwd };
    if (opts.reloadConfig) this.readReloadConfig = (ticket) => this.#readConfig(ticket);
    this.#clock = opts.clock ?? systemClock;
    this.#shownTitle = opts.shownTitle ?? shownTitle;
    this.#loop = new EventLoop<SupervisorEvent>(this.#clock, {
      timer: { type: "timer" },
      handle: (e) => this.#handle(e),
      reconcile: () => reconcile(this),
      exited: () => this.#exited(),
    });
    // A unix socket never needs port sharing: the new generation's socket is renamed over the old.
    const canOverlap = opts.adapter.canOverlap || opts.listen.kind === "unix";
    this.overlap = opts.config.reloadStrategy === "overlap" || (opts.config.reloadStrategy === "auto" && canOverlap);
    // The socket and the pid file first: both exist by the time "Ready to accept connections" is read.
    if (opts.unixSocket) this.observe(opts.unixSocket.observer((n) => this.note(n)));
    if (opts.config.pidFile) this.observe(pidFileObserver(opts.config.pidFile, opts.pid, (n) => this.note(n)));
    this.observe(logObserver(opts.log));
    this.observe(this.#metrics.observer);
  }

  /** Hear every transition (log, pid file; next: systemd notify, status, metrics). */
  observe(observer: Observer): void {
    this.#observers.push(observer);
  }

  /** Hear every transition before the log does (what must be current by the time a line is read). */
  observeFirst(observer: Observer): void {
    this.#observers.unshift(observer);
  }

  listenFor(worker: number, generation: number): ListenTarget {
    return this.#unixSocket ? this.#unixSocket.bindTarget(worker, generation) : this.listen;
  }

  start(): void {
    const a = this.adapter;
    const title = supervisorTitle(this.config.entry, this.listen);
    a.setTitle(title);
    const shown = this.#shownTitle();
    if (shown !== undefined && shown !== title && title.startsWith(shown)) this.note({ event: "title_cut", title, shown });
    const reload = (signal: LifecycleSignal) => () => this.dispatch({ type: "reload", cause: { kind: "signal", signal } });
    const stop = (signal: LifecycleSignal) => () => this.dispatch({ type: "stop", signal });
    a.onSignal("SIGHUP", reload("SIGHUP"));
    a.onSignal("SIGUSR1", reload("SIGUSR1"));
    a.onSignal("SIGTERM", stop("SIGTERM"));
    a.onSignal("SIGINT", stop("SIGINT"));
    a.onSignal("SIGTTIN", () => this.dispatch({ type: "scale", delta: 1, signal: "SIGTTIN" }));
    a.onSignal("SIGTTOU", () => this.dispatch({ type: "scale", delta: -1, signal: "SIGTTOU" }));
    if (!this.overlap) {
      const why =
        this.config.reloadStrategy === "restart"
          ? "--reload-strategy restart"
          : (a.overlapUnavailableReason ?? "no port sharing");
      this.note({ event: "reload_strategy_restart", why, batchIgnored: this.config.reloadBatch > 0 });
    }
    if (this.#prespawned) adoptPrespawned(this, this.#prespawned);
    this.state.phase = { kind: "booting", gen: startGeneration(this, this.#bootEntry, "boot") };
    this.dispatch({ type: "timer" });
  }

  now(): number {
    return this.#clock.now();
  }

  appOutput(worker: number, generation: number): AppOutput {
    // Never filtered by --log-level: it is the app's output, not pounce's.
    return appOutput(this.#log.emit, worker, generation);
  }

  /** The one door in: handle the event, then reconcile. Events raised meanwhile wait their turn. */
  dispatch(event: SupervisorEvent): void {
    if ((event.type === "worker-message" || event.type === "warm-message") && event.message.type === "log") {
      this.#log.write(event.message.record); // a log record changes no state
      return;
    }
    this.#loop.dispatch(event);
  }

  #exited(): boolean {
    return this.state.phase.kind === "exited";
  }

  note(note: Note): void {
    // A reload that got a new configuration and then failed leaves the serving one in force (also
    // for the previous code a stop-then-start reload starts again).
    if (note.event === "reload_failed") this.#useConfig(this.#serving);
    if (note.event === "reimported" && this.state.phase.kind === "running" && this.state.phase.active)
      this.#serving = { config: this.state.phase.active.config, cwd: this.state.phase.active.cwd };
    for (const observe of this.#observers) observe(note);
  }

  readReloadConfig?: (ticket: number) => void;

  useConfig(loaded: LoadedConfig): void {
    this.#useConfig(loaded);
    if (loaded.file) this.note({ event: "config_loaded", file: loaded.file });
    const { tls, tlsCert } = loaded.config;
    if (tls) this.note({ event: "tls_loaded", cert: tlsCert, serial: tls.serial, notAfter: tls.notAfter });
  }

  #useConfig(c: { config: Config; cwd: string }): void {
    this.config = c.config;
    this.cwd = c.cwd;
    this.#log.level = c.config.logLevel;
  }

  #readConfig(ticket: number): void {
    const read = this.#reloadConfig as () => Promise<LoadedConfig>;
    read().then(
      (result) => this.dispatch({ type: "config-read", ticket, result }),
      (err) => this.dispatch({ type: "config-read", ticket, result: { error: describe(err) } }),
    );
  }

  exit(code: number): void {
    if (this.state.phase.kind === "exited") return;
    this.state.phase = { kind: "exited", code };
    killAllWarm(this);
    this.#loop.stop();
    this.note({ event: "exiting", code });
    this.adapter.exit(code);
  }

  /** What is running now, for tests and status reports (the state file). */
  snapshot(): Snapshot {
    return snapshotOf(this.state);
  }

  // ── event handlers: each changes the state; the reconcile step does the rest ──────────────

  #handle(e: SupervisorEvent): void {
    switch (e.type) {
      case "reload":
        this.#onReload(e.cause);
        return;
      case "stop":
        this.#onStop(e.signal, e.because);
        return;
      case "scale":
        requestScale(this, e.delta, e.signal);
        return;
      case "worker-message":
        workerMessage(this, e.worker, e.message, this.#metrics);
        return;
      case "worker-exit":
        workerExited(this, e.worker, e.code, e.signal, this.#backoff);
        return;
      case "warm-message":
        warmMessage(this, e.warm, e.message);
        return;
      case "warm-exit":
        warmExited(this, e.warm, e.code, e.signal);
        return;
      case "config-read": {
        const refused = configRead(this, e.ticket, e.result);
        if (refused) this.note(refused);
        return;
      }
      case "shared-listener-closed":
        if (this.state.phase.kind === "running") restartHandedOver(this, this.state.phase);
        listenerHandedOver(this);
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

  #onStop(signal: LifecycleSignal, because?: string): void {
    requestStop(this, signal, because);
  }
}
