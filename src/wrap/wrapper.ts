/**
 * `pounce wrap`: one process that keeps its PID and runs copies of a command, the supervisor's
 * shape with a copy in place of a worker generation. Everything that happens is an event
 * (state.ts) handled one at a time through `dispatch`; a handler changes the state, then
 * `reconcile` decides from the state alone (deadlines, restarts, a pending reload, completion) and
 * arms one alarm for the earliest deadline. Observers (log lines, pid file) hear notes.
 * - SIGHUP/SIGUSR1: a new copy starts beside the current one; once it is ready the old one gets
 *   SIGTERM (`reload_timeout`, then SIGKILL to its group). A new copy that exits or is not ready
 *   within `startup_timeout` is stopped and the old one keeps serving. Reloads coalesce.
 * - The current copy dies: restarted with the supervisor's back-off, or with --no-restart the
 *   wrapper exits with its status.
 * - SIGTERM/SIGINT: SIGTERM to every copy (`shutdown_timeout`, then SIGKILL); exit 0. A second one
 *   kills them all, exit 1.
 */

import type { LifecycleSignal, RuntimeAdapter } from "../adapter.ts";
import type { Logger } from "../log.ts";
import { Backoff } from "../supervisor/backoff.ts";
import { type Clock, systemClock } from "../supervisor/clock.ts";
import { EventLoop } from "../supervisor/event-loop.ts";
import { lastOutput } from "../supervisor/log-lines.ts";
import type { Note, Observer } from "../supervisor/notes.ts";
import type { Snapshot } from "../supervisor/snapshot.ts";
import { copyCwd } from "./command.ts";
import { startCopy } from "./copy.ts";
import { handle, type WrapHands } from "./handlers.ts";
import type { WrapConfig } from "./options.ts";
import { type OrphanGuard, startOrphanGuard } from "./orphan-guard.ts";
import { watchReady } from "./readiness.ts";
import { reconcile } from "./reconcile.ts";
import type { CopyRecord, WrapEvent, WrapState } from "./state.ts";

export interface WrapperOptions {
  config: WrapConfig;
  adapter: RuntimeAdapter;
  log: Logger;
  /** The working directory as named (re-resolved for every copy). */
  cwd: string;
  /** The environment each copy starts with (wrap's own variables taken out). */
  env: Record<string, string>;
  listenFd?: number;
  /** The NOTIFY_SOCKET every copy is given (READY=1 there: the `notify-ready` event). */
  notifySocket?: string;
  /** Unit tests pass fakes for these three; the defaults are the real ones. */
  clock?: Clock;
  startCopy?: typeof startCopy;
  watchReady?: typeof watchReady;
  guard?: OrphanGuard;
}

export class Wrapper implements WrapHands {
  readonly state: WrapState = { phase: { kind: "new" }, live: new Set(), nextCopy: 0 };
  readonly config: WrapConfig;
  readonly #o: WrapperOptions;
  readonly #clock: Clock;
  readonly #loop: EventLoop<WrapEvent>;
  readonly backoff = new Backoff();
  guard: OrphanGuard | undefined;
  readonly #observers: Observer[] = [];

  constructor(opts: WrapperOptions) {
    this.#o = opts;
    this.config = opts.config;
    this.#clock = opts.clock ?? systemClock;
    this.#loop = new EventLoop<WrapEvent>(this.#clock, {
      timer: { type: "timer" },
      handle: (e) => handle(this, e),
      reconcile: () => reconcile(this),
      exited: () => this.#exited(),
    });
  }

  observe(observer: Observer): void {
    this.#observers.push(observer);
  }

  now(): number {
    return this.#clock.now();
  }

  note(n: Note): void {
    for (const o of this.#observers) o(n);
  }

  start(): void {
    const a = this.#o.adapter;
    a.setTitle(`pounce: wrap ${this.#o.config.command.join(" ")}`.slice(0, 200));
    const reload = (signal: LifecycleSignal) => () => this.dispatch({ type: "reload", cause: { kind: "signal", signal } });
    const stop = (signal: LifecycleSignal) => () => this.dispatch({ type: "stop", signal });
    a.onSignal("SIGHUP", reload("SIGHUP"));
    a.onSignal("SIGUSR1", reload("SIGUSR1"));
    a.onSignal("SIGTERM", stop("SIGTERM"));
    a.onSignal("SIGINT", stop("SIGINT"));
    this.guard = this.#o.guard ?? startOrphanGuard(this.#o.config.shutdownTimeout);
    this.state.phase = { kind: "booting" };
    this.state.next = this.startCopy("boot");
    this.dispatch({ type: "timer" });
  }

  dispatch(event: WrapEvent): void {
    this.#loop.dispatch(event);
  }

  #exited(): boolean {
    return this.state.phase.kind === "exited";
  }

  exit(code: number): void {
    if (this.state.phase.kind === "exited") return;
    this.state.phase = { kind: "exited", code };
    this.#loop.stop();
    this.note({ event: "exiting", code });
    this.#o.adapter.exit(code);
  }

  /** What is running now, in the supervisor's snapshot shape (a copy per generation). */
  snapshot(): Snapshot {
    return {
      phase: this.state.phase.kind as Snapshot["phase"],
      active: this.state.current?.n,
      pendingReload: this.state.pendingReload !== undefined,
      generations: [...this.state.live].map((c) => c.n),
      workers: [...this.state.live].map((c) => ({
        id: c.n,
        pid: c.run?.pid,
        generation: c.n,
        mode: "serve" as const,
        status: c.status.kind,
        fatal: false,
      })),
    };
  }

  // ── copies ──────────────────────────────────────────────────────────────────────────────

  startCopy(purpose: CopyRecord["purpose"]): CopyRecord {
    const c = this.#o.config;
    const rec: CopyRecord = {
      n: this.state.nextCopy++,
      purpose,
      status: { kind: "starting", deadline: this.#clock.now() + c.startupTimeout * 1000 },
      killed: false,
    };
    this.state.live.add(rec);
    let cwd: string;
    try {
      cwd = copyCwd(this.#o.cwd);
    } catch (err) {
      queueMicrotask(() => this.dispatch({ type: "copy-exit", copy: rec, code: null, signal: null, failure: String(err) }));
      return rec;
    }
    const startedAt = Date.now();
    rec.run = (this.#o.startCopy ?? startCopy)(
      {
        command: c.command,
        cwd,
        env: this.#o.notifySocket ? { ...this.#o.env, NOTIFY_SOCKET: this.#o.notifySocket } : this.#o.env,
        listenFd: this.#o.listenFd,
      },
      {
        line: (stream, text) => this.#passThrough(rec, stream, text),
        exit: (code, signal, failure) => this.dispatch({ type: "copy-exit", copy: rec, code, signal, failure }),
      },
    );
    if (rec.run.pid !== undefined) this.guard?.add(rec.run.pid);
    this.note({ event: "copy_started", copy: rec.n, pid: rec.run.pid, command: c.command.join(" "), cwd, purpose });
    rec.stopReadiness = (this.#o.watchReady ?? watchReady)(c.ready, startedAt, (via) =>
      this.dispatch({ type: "copy-ready", copy: rec, via }),
    );
    return rec;
  }

  #passThrough(rec: CopyRecord, stream: "stdout" | "stderr", text: string): void {
    if (this.#o.config.logFormat === "json") {
      this.#o.log.write({ level: "info", msg: text, event: "copy_output", copy: rec.n, pid: rec.run?.pid, stream });
      return;
    }
    (stream === "stdout" ? process.stdout : process.stderr).write(`${text}\n`);
  }

  /** SIGTERM, with the deadline after which its group is killed (the earlier one if already stopping). */
  stopCopy(rec: CopyRecord, why: "reload" | "shutdown" | "abandon"): void {
    const st = rec.status;
    if (st.kind === "exited" || rec.killed) return;
    rec.stopReadiness?.();
    const c = this.#o.config;
    const setting = why === "shutdown" ? "shutdown_timeout" : "reload_timeout";
    const timeoutSeconds = why === "shutdown" ? c.shutdownTimeout : c.reloadTimeout;
    const deadline = this.#clock.now() + timeoutSeconds * 1000;
    if (st.kind === "stopping") {
      if (st.deadline > deadline) Object.assign(st, { deadline, setting, timeoutSeconds });
      return;
    }
    rec.status = { kind: "stopping", deadline, setting, timeoutSeconds };
    this.note({ event: "copy_stopping", copy: rec.n, pid: rec.run?.pid, why });
    rec.run?.signal("SIGTERM");
  }

  kill(rec: CopyRecord): void {
    rec.killed = true;
    rec.stopReadiness?.();
    rec.run?.killGroup();
  }

  /** "new copy 3 (pid 42) exited during start-up (exit code 1); last output: …" */
  failure(rec: CopyRecord, how: string): string {
    return `${rec.purpose === "boot" ? "" : "new "}copy ${rec.n}${rec.run?.pid ? ` (pid ${rec.run.pid})` : ""} ${how}${lastOutput(rec.run?.tail() ?? [])}`;
  }
}
