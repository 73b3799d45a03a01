/**
 * The supervisor: one process that keeps its PID, owns the signals and runs generations of workers.
 * Its whole policy is in this file. Every handler runs to completion on one event (a signal, a
 * worker message, a worker exit, a timer) and only changes state, spawns, sends or arms timers, so
 * reload, shutdown and crash handling never interleave half-way.
 *
 * Phases: booting → running → stopping → (exit). Within `running`, at most one generation is
 * `starting` at a time; any number of old workers may be draining, each bounded by its timeout.
 */
import type { LifecycleSignal, RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import { parseEntry, type ResolvedEntry, resolveEntry } from "../entry.ts";
import { describe, EXIT } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { WorkerMessage, WorkerSpec } from "../protocol.ts";
import { Backoff } from "./backoff.ts";
import { type Generation, type GenerationPurpose, liveWorkers, type WorkerRecord } from "./generation.ts";
import { removePidFile, writePidFile } from "./pid-file.ts";

type Phase = "booting" | "running" | "stopping";

/** A reload starts no sooner than this after the previous one started (pending ones wait, never lost). */
const RELOAD_COOLDOWN_MS = 1_000;

export interface SupervisorOptions {
  config: Config;
  adapter: RuntimeAdapter;
  log: Logger;
  entry: ResolvedEntry;
  /** The concrete port (already resolved when the config said 0). */
  port: number;
  cwd: string;
  pid: number;
}

export class Supervisor {
  readonly #c: Config;
  readonly #adapter: RuntimeAdapter;
  readonly #log: Logger;
  readonly #cwd: string;
  readonly #pid: number;
  readonly #port: number;
  readonly #overlap: boolean;

  #phase: Phase = "booting";
  #nextWorkerId = 0;
  #nextGeneration = 0;
  #active: Generation | undefined;
  #starting: Generation | undefined;
  /** A reload asked for while another was starting (or during boot): runs when that one settles. */
  #pendingReload: LifecycleSignal | undefined;
  /** Stop-then-start reload waiting for the old generation to finish draining. */
  #restartAfterDrain: { entry: ResolvedEntry; previous: ResolvedEntry } | undefined;
  /** Old workers draining after a reload or replacement. */
  readonly #draining = new Set<WorkerRecord>();
  /** A reload's old workers still serving, drained one at a time `reload_stagger` apart. */
  #retiring: WorkerRecord[] = [];
  #retireTimer: ReturnType<typeof setTimeout> | undefined;
  /** Generation whose "Graceful reload complete" line is still owed. */
  #reloadOwed: Generation | undefined;
  readonly #respawnTimers = new Set<ReturnType<typeof setTimeout>>();
  readonly #backoff = new Backoff();
  #pidFileWritten = false;

  constructor(opts: SupervisorOptions) {
    this.#c = opts.config;
    this.#adapter = opts.adapter;
    this.#log = opts.log;
    this.#cwd = opts.cwd;
    this.#pid = opts.pid;
    this.#port = opts.port;
    this.#overlap =
      opts.config.reloadStrategy === "overlap" || (opts.config.reloadStrategy === "auto" && opts.adapter.canOverlap);
    this.#bootEntry = opts.entry;
  }
  readonly #bootEntry: ResolvedEntry;

  start(): void {
    const a = this.#adapter;
    a.setTitle(`pounce: supervisor ${this.#c.entry}`);
    a.onSignal("SIGHUP", () => this.#onReloadSignal("SIGHUP"));
    a.onSignal("SIGUSR1", () => this.#onReloadSignal("SIGUSR1"));
    a.onSignal("SIGTERM", () => this.#onStopSignal("SIGTERM"));
    a.onSignal("SIGINT", () => this.#onStopSignal("SIGINT"));
    if (!this.#overlap) {
      const why =
        this.#c.reloadStrategy === "restart" ? "--reload-strategy restart" : (a.overlapUnavailableReason ?? "no port sharing");
      this.#log.warn(
        `Reloads will stop the old workers before starting new ones (${why}): expect a short gap in service on each reload`,
        { event: "reload_strategy_restart" },
      );
    }
    this.#startGeneration(this.#bootEntry, "boot");
  }

  // ── signals ────────────────────────────────────────────────────────────────────────────────

  #onReloadSignal(signal: LifecycleSignal): void {
    if (this.#phase === "stopping") {
      this.#log.info(`Received ${signal} during shutdown — ignored`, { event: "reload_ignored", signal });
      return;
    }
    this.#log.info(`Received ${signal} — triggering graceful reload`, { event: "reload_requested", signal });
    const busy = this.#phase === "booting" || this.#starting || this.#restartAfterDrain;
    if (busy || this.#cooldownLeft() > 0) {
      const queued = this.#pendingReload !== undefined;
      this.#pendingReload = signal;
      if (!queued)
        this.#log.info(
          this.#phase === "booting"
            ? "Reload will run once start-up completes"
            : "A reload is already in progress; another will run once it settles",
          { event: "reload_queued" },
        );
      this.#runPendingReload();
      return;
    }
    this.#reload();
  }

  /** Milliseconds until another reload may start: a storm of signals yields one or two reloads. */
  #cooldownLeft(): number {
    return this.#lastReloadAt + RELOAD_COOLDOWN_MS - Date.now();
  }
  #lastReloadAt = Number.NEGATIVE_INFINITY;
  #cooldownTimer: ReturnType<typeof setTimeout> | undefined;

  #onStopSignal(signal: LifecycleSignal): void {
    if (this.#phase === "stopping") {
      this.#log.warn(`Received second ${signal} — stopping now`, { event: "shutdown_forced", signal });
      this.#forcedExit = true;
      for (const w of this.#allLive()) this.#kill(w);
      // Exit once the killed workers are reaped (so none outlives the supervisor), or soon anyway.
      if (this.#allLive().length === 0) this.#exit(EXIT.failure);
      else setTimeout(() => this.#exit(EXIT.failure), 1_000).unref?.();
      return;
    }
    this.#log.info(`Received ${signal} — initiating shutdown`, { event: "shutdown_requested", signal });
    this.#shutdown();
  }

  // ── generations ────────────────────────────────────────────────────────────────────────────

  #startGeneration(entry: ResolvedEntry, purpose: GenerationPurpose): void {
    const gen: Generation = {
      n: this.#nextGeneration++,
      entry,
      purpose,
      state: "starting",
      workers: new Set(),
      startedAt: Date.now(),
    };
    this.#starting = gen;
    this.#log.info(`Spawning ${this.#c.workers} worker(s) (generation ${gen.n})...`, {
      event: "generation_starting",
      generation: gen.n,
    });
    for (let i = 0; i < this.#c.workers; i++) this.#spawn(gen, "serve");
  }

  #onGenerationReady(gen: Generation): void {
    this.#starting = undefined;
    const previous = this.#active;
    gen.state = "active";
    this.#active = gen;
    if (gen.purpose === "boot") {
      this.#phase = "running";
      if (this.#c.pidFile) {
        try {
          writePidFile(this.#c.pidFile, this.#pid);
          this.#pidFileWritten = true;
        } catch (err) {
          this.#log.error(`Cannot write pid file ${this.#c.pidFile}: ${describe(err)}`, { event: "pid_file_error" });
        }
      }
      this.#log.info(
        `Ready to accept connections on http://${hostForUrl(this.#c.host)}:${this.#port} — ${this.#c.workers} worker(s), generation ${gen.n}, ${this.#adapter.runtime}`,
        { event: "ready", port: this.#port, generation: gen.n },
      );
    } else {
      this.#log.info(`Successfully reimported app from ${this.#c.entry}`, { event: "reimported", generation: gen.n });
      if (previous) {
        previous.state = "retired";
        const old = liveWorkers(previous);
        const stagger = old.length > 1 && this.#c.reloadStagger > 0 ? `, one every ${this.#c.reloadStagger}s` : "";
        this.#log.info(`New workers spawned. Draining old workers (generation ${previous.n}${stagger})...`, {
          event: "draining_old",
          generation: previous.n,
        });
        this.#retire(old);
      }
      this.#reloadOwed = gen;
      this.#maybeReloadComplete();
    }
    this.#runPendingReload();
  }

  /**
   * Drain a replaced generation's workers one at a time, `reload_stagger` apart, so its traffic (and
   * the kept-alive clients' reconnections) moves to the new, not yet JIT-warm, workers in steps rather
   * than all at once: the p99 spike of an all-at-once switch-over was 3-7x steady (bench/FINDINGS.md).
   */
  #retire(workers: WorkerRecord[]): void {
    // Workers of an even older generation still waiting their turn go now.
    this.#retireNow();
    this.#retiring = workers;
    this.#retireNext();
  }

  #retireNext(): void {
    this.#retireTimer = undefined;
    const next = this.#retiring.shift();
    if (next) this.#drain(next, "reload", this.#c.reloadTimeout);
    if (this.#retiring.length === 0) return;
    if (this.#c.reloadStagger > 0) this.#retireTimer = setTimeout(() => this.#retireNext(), this.#c.reloadStagger * 1000);
    else this.#retireNow();
  }

  /** Drain every old worker still waiting its turn, now. */
  #retireNow(): void {
    clearTimeout(this.#retireTimer);
    this.#retireTimer = undefined;
    const waiting = this.#retiring;
    this.#retiring = [];
    for (const w of waiting) this.#drain(w, "reload", this.#c.reloadTimeout);
  }

  #failGeneration(gen: Generation, cause: string): void {
    if (gen.state !== "starting") return;
    gen.state = "failed";
    if (this.#starting === gen) this.#starting = undefined;
    for (const w of liveWorkers(gen)) this.#kill(w);
    if (gen.purpose === "boot") {
      this.#log.error(`Failed to start: ${cause}`, { event: "boot_failed", generation: gen.n });
      this.#exit(EXIT.failure);
      return;
    }
    if (gen.purpose === "restart" && !this.#active) {
      // Stop-then-start: the old workers are gone, so bring the previous code back.
      const previous = this.#restartPrevious;
      this.#log.error(`Reload failed after the old workers stopped: ${cause} — restarting the previous version`, {
        event: "reload_failed",
        generation: gen.n,
      });
      if (previous && previous !== gen.entry) {
        this.#restartPrevious = undefined;
        this.#startGeneration(previous, "restart");
        return;
      }
      this.#log.error("The previous version failed to start too — exiting", { event: "recover_failed" });
      this.#exit(EXIT.failure);
      return;
    }
    this.#log.error(`Reload failed — continuing with previous version: ${cause}`, {
      event: "reload_failed",
      generation: gen.n,
    });
    this.#runPendingReload();
  }
  #restartPrevious: ResolvedEntry | undefined;

  #reload(): void {
    this.#lastReloadAt = Date.now();
    let entry: ResolvedEntry;
    try {
      entry = resolveEntry(parseEntry(this.#c.entry), this.#cwd);
    } catch (err) {
      this.#log.error(`Reload failed — continuing with previous version: ${describe(err)}`, { event: "reload_failed" });
      return;
    }
    if (this.#overlap) {
      this.#startGeneration(entry, "reload");
      return;
    }
    // Stop-then-start: check that the new code imports before stopping anything.
    const gen: Generation = {
      n: -1,
      entry,
      purpose: "restart",
      state: "starting",
      workers: new Set(),
      startedAt: Date.now(),
    };
    this.#starting = gen;
    this.#log.info(`Checking that ${this.#c.entry} imports before restarting the workers...`, { event: "import_check" });
    this.#spawn(gen, "check");
  }

  #onImportChecked(gen: Generation): void {
    this.#starting = undefined;
    gen.state = "retired";
    const old = this.#active;
    this.#restartPrevious = old?.entry;
    this.#restartAfterDrain = { entry: gen.entry, previous: old?.entry ?? gen.entry };
    this.#log.info("Import check passed — stopping the old workers, then starting the new ones (stop-then-start reload)", {
      event: "restart_stopping_old",
    });
    if (old) {
      old.state = "retired";
      this.#active = undefined;
      for (const w of liveWorkers(old)) this.#drain(w, "reload", this.#c.reloadTimeout);
    }
    this.#maybeRestartAfterDrain();
  }

  #maybeRestartAfterDrain(): void {
    const pending = this.#restartAfterDrain;
    if (!pending || this.#phase !== "running" || this.#draining.size > 0) return;
    this.#restartAfterDrain = undefined;
    this.#startGeneration(pending.entry, "restart");
  }

  #runPendingReload(): void {
    if (!this.#pendingReload || this.#phase !== "running" || this.#starting || this.#restartAfterDrain) return;
    const wait = this.#cooldownLeft();
    if (wait > 0) {
      this.#cooldownTimer ??= setTimeout(() => {
        this.#cooldownTimer = undefined;
        this.#runPendingReload();
      }, wait);
      return;
    }
    this.#pendingReload = undefined;
    this.#reload();
  }

  #maybeReloadComplete(): void {
    const gen = this.#reloadOwed;
    if (!gen || this.#phase !== "running" || this.#active !== gen || this.#retiring.length > 0) return;
    for (const w of this.#draining) if (w.generation.n < gen.n) return;
    this.#reloadOwed = undefined;
    this.#log.info(`Graceful reload complete. Running ${liveWorkers(gen).length} worker(s) on generation ${gen.n}`, {
      event: "reload_complete",
      generation: gen.n,
    });
  }

  // ── workers ────────────────────────────────────────────────────────────────────────────────

  #spawn(gen: Generation, mode: "serve" | "check", replaces?: WorkerRecord): WorkerRecord {
    const c = this.#c;
    const rec: WorkerRecord = {
      id: this.#nextWorkerId++,
      generation: gen,
      mode,
      state: "starting",
      inFlightAtDrain: 0,
      idleLogged: false,
      forced: false,
      replaces,
    };
    gen.workers.add(rec);
    const spec: WorkerSpec = {
      id: rec.id,
      generation: gen.n,
      mode,
      file: gen.entry.file,
      exportName: gen.entry.exportName,
      entryLabel: c.entry,
      host: c.host,
      port: this.#port,
      requestTimeoutMs: Math.round(c.requestTimeout * 1000),
      healthCheckPath: c.healthCheckPath,
      orphanTimeoutMs: Math.round(c.shutdownTimeout * 1000),
      logFormat: c.logFormat,
      logLevel: c.logLevel,
      accessLog: c.accessLog,
    };
    rec.startTimer = setTimeout(() => this.#onStartupTimeout(rec), c.startupTimeout * 1000);
    try {
      rec.handle = this.#adapter.spawn(spec, {
        message: (msg) => this.#onMessage(rec, msg),
        exit: (code, signal) => this.#onExit(rec, code, signal),
      });
    } catch (err) {
      rec.failure = `cannot spawn worker: ${describe(err)}`;
      queueMicrotask(() => this.#onExit(rec, null, null));
    }
    return rec;
  }

  #onMessage(rec: WorkerRecord, msg: WorkerMessage): void {
    switch (msg.type) {
      case "log":
        this.#log.write(msg.record);
        return;
      case "failed":
        rec.failure = msg.message;
        return;
      case "ready":
        this.#onWorkerReady(rec);
        return;
      case "checked":
        clearTimeout(rec.startTimer);
        rec.state = "ready";
        if (rec.generation === this.#starting) this.#onImportChecked(rec.generation);
        return;
      case "draining":
        rec.inFlightAtDrain = msg.inFlight;
        return;
      case "idle":
        if (rec.drainReason !== "shutdown" && !rec.idleLogged) {
          rec.idleLogged = true;
          this.#log.info(`Worker ${rec.id} (generation ${rec.generation.n}) is idle`, {
            event: "worker_idle",
            worker: rec.id,
            generation: rec.generation.n,
          });
        }
        return;
      case "fatal":
        this.#onWorkerFatal(rec, msg.message);
        return;
    }
  }

  #onWorkerReady(rec: WorkerRecord): void {
    clearTimeout(rec.startTimer);
    if (rec.state !== "starting") return;
    rec.state = "ready";
    const gen = rec.generation;
    this.#log.debug(`Worker ${rec.id} (generation ${gen.n}) ready${rec.handle?.pid ? ` (pid ${rec.handle.pid})` : ""}`, {
      event: "worker_ready",
      worker: rec.id,
      generation: gen.n,
    });
    if (this.#phase === "stopping" || gen.state === "failed" || gen.state === "retired") {
      this.#drain(rec, "shutdown", this.#c.shutdownTimeout);
      return;
    }
    if (gen.state === "starting") {
      if (liveWorkers(gen).every((w) => w.state === "ready")) this.#onGenerationReady(gen);
      return;
    }
    // A replacement in the active generation.
    this.#log.info(`Replacement worker ${rec.id} (generation ${gen.n}) is ready`, {
      event: "worker_replacement_ready",
      worker: rec.id,
      generation: gen.n,
    });
    if (rec.replaces && rec.replaces.state === "ready") {
      this.#log.info(`Worker ${rec.id} replaces worker ${rec.replaces.id}, which is now draining`, {
        event: "worker_replaced",
      });
      this.#drain(rec.replaces, "replace", this.#c.reloadTimeout);
    }
  }

  #onWorkerFatal(rec: WorkerRecord, message: string): void {
    const gen = rec.generation;
    if (this.#phase !== "running" || gen !== this.#active || rec.state !== "ready") return;
    if ([...gen.workers].some((w) => w.replaces === rec)) return;
    this.#log.warn(
      `Worker ${rec.id} (generation ${gen.n}) reported a fatal error (${message}) — starting a replacement, then draining it`,
      { event: "worker_fatal" },
    );
    this.#spawn(gen, "serve", rec);
  }

  #onStartupTimeout(rec: WorkerRecord): void {
    if (rec.state !== "starting") return;
    rec.failure = `worker ${rec.id} not ready within startup_timeout (${this.#c.startupTimeout.toFixed(1)}s)`;
    this.#kill(rec);
  }

  #onExit(rec: WorkerRecord, code: number | null, signal: string | null): void {
    if (rec.state === "exited") return;
    const was = rec.state;
    rec.state = "exited";
    clearTimeout(rec.startTimer);
    clearTimeout(rec.killTimer);
    this.#draining.delete(rec);
    const gen = rec.generation;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;

    if (this.#phase === "stopping") {
      if (!rec.forced && rec.mode === "serve" && (was === "draining" || was === "ready"))
        this.#log.info(`Worker ${rec.id} stopped`, { event: "worker_stopped", worker: rec.id });
      if (this.#allLive().length === 0) this.#finishShutdown();
      return;
    }
    if (was === "starting") {
      const cause = rec.failure ?? `worker ${rec.id} exited during start-up (${how})`;
      if (gen.state === "starting") {
        this.#failGeneration(gen, cause);
        return;
      }
      if (gen === this.#active) {
        this.#log.error(`Replacement worker ${rec.id} (generation ${gen.n}) failed to start: ${cause}`, {
          event: "worker_start_failed",
        });
        if (!rec.replaces) this.#scheduleRespawn(gen);
      }
      return;
    }
    if (was === "draining") {
      if (rec.drainReason !== "shutdown" && !rec.idleLogged && !rec.forced) {
        rec.idleLogged = true;
        this.#log.info(`Worker ${rec.id} (generation ${gen.n}) is idle`, { event: "worker_idle", worker: rec.id });
      }
      this.#maybeReloadComplete();
      this.#maybeRestartAfterDrain();
      return;
    }
    // A serving worker died.
    if (this.#retiring.includes(rec)) {
      // An old worker waiting its turn to drain: nothing to replace.
      this.#retiring = this.#retiring.filter((w) => w !== rec);
      this.#maybeReloadComplete();
      return;
    }
    if (gen === this.#active && rec.mode === "serve") {
      this.#log.warn(`Worker ${rec.id} (generation ${gen.n}) died (${how})`, { event: "worker_died", worker: rec.id });
      this.#scheduleRespawn(gen);
    }
  }

  #scheduleRespawn(gen: Generation): void {
    const delay = this.#backoff.next();
    if (delay > 0)
      this.#log.warn(`Workers keep dying — next replacement in ${(delay / 1000).toFixed(1)}s`, {
        event: "respawn_backoff",
        delay_ms: delay,
      });
    const timer = setTimeout(() => {
      this.#respawnTimers.delete(timer);
      if (this.#phase !== "running" || this.#active !== gen) return;
      const serving = liveWorkers(gen).filter((w) => w.state !== "draining" && !w.replaces).length;
      if (serving >= this.#c.workers) return;
      this.#spawn(gen, "serve");
    }, delay);
    this.#respawnTimers.add(timer);
  }

  #drain(rec: WorkerRecord, reason: "reload" | "shutdown" | "replace", timeoutSeconds: number): void {
    if (rec.state === "exited") return;
    if (rec.state === "starting") {
      // Never served: nothing to drain.
      this.#kill(rec);
      return;
    }
    const timeoutMs = timeoutSeconds * 1000;
    const killAt = Date.now() + timeoutMs;
    if (rec.state === "draining") {
      // Already draining (a reload) when a shutdown came: tell it (health turns 503) and keep the
      // earlier of the two deadlines.
      rec.handle?.send({ type: "drain", reason, timeoutMs });
      if (rec.killAt !== undefined && rec.killAt <= killAt) return;
    } else {
      rec.state = "draining";
      rec.drainReason = reason;
      this.#draining.add(rec);
      rec.handle?.send({ type: "drain", reason, timeoutMs });
    }
    clearTimeout(rec.killTimer);
    rec.killAt = killAt;
    rec.killTimer = setTimeout(() => this.#forceStop(rec, reason, timeoutSeconds), timeoutMs);
  }

  #forceStop(rec: WorkerRecord, reason: "reload" | "shutdown" | "replace", timeoutSeconds: number): void {
    if (rec.state === "exited") return;
    const setting = reason === "shutdown" ? "shutdown_timeout" : "reload_timeout";
    const where = reason === "shutdown" ? "" : ` (generation ${rec.generation.n})`;
    this.#log.warn(
      `Worker ${rec.id}${where} did not stop within ${setting} (${timeoutSeconds.toFixed(1)}s) — force terminating`,
      { event: "worker_force_stop", worker: rec.id, in_flight: rec.inFlightAtDrain },
    );
    rec.forced = true;
    this.#kill(rec);
  }

  #kill(rec: WorkerRecord): void {
    if (rec.state === "exited") return;
    try {
      rec.handle?.kill();
    } catch {
      // already gone; the exit event follows
    }
  }

  // ── shutdown ───────────────────────────────────────────────────────────────────────────────

  #shutdown(): void {
    const wasBooting = this.#phase === "booting";
    this.#phase = "stopping";
    this.#pendingReload = undefined;
    clearTimeout(this.#cooldownTimer);
    this.#restartAfterDrain = undefined;
    clearTimeout(this.#retireTimer);
    this.#retireTimer = undefined;
    for (const t of this.#respawnTimers) clearTimeout(t);
    this.#respawnTimers.clear();
    // A generation still starting never served: stop it.
    if (this.#starting) {
      this.#starting.state = "failed";
      for (const w of liveWorkers(this.#starting)) this.#kill(w);
      this.#starting = undefined;
    }
    const serving = this.#allLive().filter((w) => w.state !== "starting");
    if (!wasBooting) this.#log.info(`Shutting down ${serving.length} worker(s)...`, { event: "shutting_down" });
    for (const w of this.#allLive()) this.#drain(w, "shutdown", this.#c.shutdownTimeout);
    this.#retiring = [];
    if (this.#allLive().length === 0) this.#finishShutdown();
  }

  #finishShutdown(): void {
    if (this.#forcedExit) {
      this.#exit(EXIT.failure);
      return;
    }
    this.#log.info("All workers stopped", { event: "stopped" });
    this.#exit(EXIT.ok);
  }
  #forcedExit = false;

  #allLive(): WorkerRecord[] {
    const out = new Set<WorkerRecord>([...this.#draining, ...this.#retiring]);
    for (const gen of [this.#active, this.#starting]) if (gen) for (const w of liveWorkers(gen)) out.add(w);
    return [...out].filter((w) => w.state !== "exited");
  }

  #exit(code: number): void {
    if (this.#pidFileWritten && this.#c.pidFile) removePidFile(this.#c.pidFile);
    this.#adapter.exit(code);
  }
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
