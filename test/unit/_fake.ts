/**
 * A fake adapter and a fake clock for the supervisor's unit tests: the state machine runs for real,
 * the workers are records the test makes ready, crash or exit, and time moves only when told.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LifecycleSignal, RuntimeAdapter, WorkerEvents, WorkerHandle } from "../../src/adapter.ts";
import { type Config, resolveConfig } from "../../src/config.ts";
import { parseEntry, resolveEntry } from "../../src/entry.ts";
import { Logger, type LogRecord } from "../../src/log.ts";
import type { SupervisorMessage, WorkerSpec } from "../../src/protocol.ts";
import type { Clock } from "../../src/supervisor/clock.ts";
import { prespawn, prespawnSpec } from "../../src/supervisor/prespawn.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";

export class FakeClock implements Clock {
  t = 1_700_000_000_000;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  /** Move time on by `ms`, firing every timer that comes due, in order. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = until;
  }
  get pending(): number {
    return this.#timers.length;
  }
}

export class FakeWorker {
  readonly sent: SupervisorMessage[] = [];
  killed = false;
  exited = false;
  /** The spec it was spawned with, or (a warm worker) the one it assumed. */
  spec: WorkerSpec;
  /** A warm worker's spawn spec, kept once it assumed another. */
  readonly spawnSpec: WorkerSpec;
  readonly events: WorkerEvents;
  readonly pid: number;
  constructor(spec: WorkerSpec, events: WorkerEvents, pid: number) {
    this.spec = spec;
    this.spawnSpec = spec;
    this.events = events;
    this.pid = pid;
  }
  /** A warm worker has loaded what comes before the app. */
  warm(): this {
    this.events.message({ type: "warm" });
    return this;
  }
  get id(): number {
    return this.spec.id;
  }
  ready(): this {
    this.events.message(
      this.spec.mode === "check"
        ? { type: "checked" }
        : { type: "ready", port: this.spec.listen.kind === "tcp" ? this.spec.listen.port : 0 },
    );
    return this;
  }
  fail(message: string): this {
    this.events.message({ type: "failed", code: "E_IMPORT", message });
    return this.exit(1);
  }
  fatal(message = "boom"): this {
    this.events.message({ type: "fatal", message });
    return this;
  }
  idle(): this {
    this.events.message({ type: "idle" });
    return this.exit(0);
  }
  exit(code: number | null = 0, signal: string | null = null): this {
    if (this.exited) return this;
    this.exited = true;
    this.events.exit(code, signal);
    return this;
  }
  get drains(): Array<Extract<SupervisorMessage, { type: "drain" }>> {
    return this.sent.filter((m): m is Extract<SupervisorMessage, { type: "drain" }> => m.type === "drain");
  }
}

export class FakeAdapter implements RuntimeAdapter {
  runtime = "fake";
  canOverlap = true;
  unixSocketShared = true;
  overlapUnavailableReason?: string;
  /** Unset: a runtime whose workers own their listeners; tests set it to play Node's primary. */
  closeSharedListener?: () => Promise<void>;
  readonly workers: FakeWorker[] = [];
  readonly signals = new Map<LifecycleSignal, () => void>();
  exitCode: number | undefined;
  /** Handles without `assume` (an adapter whose workers cannot be pre-started). */
  noAssume = false;
  /** The adapter's `canAssume`: what it fixed at spawn against the spec a reload asks for. */
  canAssume: (spawned: WorkerSpec, spec: WorkerSpec) => boolean = () => true;
  spawn(spec: WorkerSpec, events: WorkerEvents): WorkerHandle {
    // Ordinary workers keep the pid their id gives; warm ones (id -1) get their own.
    const pid = spec.mode === "warm" ? 5000 + this.workers.length : 1000 + spec.id;
    const w = new FakeWorker(spec, events, pid);
    this.workers.push(w);
    return {
      pid,
      send: (msg) => {
        if (!w.exited) w.sent.push(msg);
      },
      // A kill is reaped at once (the supervisor must cope with an exit during its own dispatch).
      kill: () => {
        w.killed = true;
        w.exit(null, "SIGKILL");
      },
      ...(this.noAssume
        ? {}
        : {
            assume: (next: WorkerSpec) => {
              w.spec = next;
              w.sent.push({ type: "assume", spec: next });
            },
            canAssume: (next: WorkerSpec) => this.canAssume(spec, next),
          }),
    };
  }
  /** Warm workers not taken and not exited. */
  warmWaiting(): FakeWorker[] {
    return this.workers.filter((w) => !w.exited && w.spec.mode === "warm");
  }
  onSignal(signal: LifecycleSignal, handler: () => void): void {
    this.signals.set(signal, handler);
  }
  setTitle(): void {}
  exit(code: number): never {
    this.exitCode = code;
    return undefined as never;
  }
  signal(sig: LifecycleSignal): void {
    this.signals.get(sig)?.();
  }
  /** Live workers (not exited), optionally of one generation. */
  live(generation?: number): FakeWorker[] {
    return this.workers.filter((w) => !w.exited && (generation === undefined || w.spec.generation === generation));
  }
  worker(id: number): FakeWorker {
    const w = this.workers.find((x) => x.id === id);
    if (!w) throw new Error(`no worker ${id}`);
    return w;
  }
}

export interface Rig {
  sup: Supervisor;
  adapter: FakeAdapter;
  clock: FakeClock;
  records: LogRecord[];
  config: Config;
  /** The events logged, in order. */
  events(): string[];
  /** The text lines logged from index `from` on. */
  lines(from?: number): string[];
  /** Make every starting worker of `generation` ready. */
  readyAll(generation: number): void;
}

/** `prespawned`: a worker is started through the adapter before the supervisor exists (src/cli/prespawn.ts). */
export function rig(
  flags: Record<string, string> = {},
  adapterSetup?: (a: FakeAdapter) => void,
  opts: { prespawned?: boolean } = {},
): Rig {
  const dir = mkdtempSync(join(tmpdir(), "pounce-unit-"));
  const file = join(dir, "app.ts");
  writeFileSync(file, "export default { fetch: () => new Response('ok') };\n");
  const config = resolveConfig(file, { workers: "2", ...flags }, {});
  const adapter = new FakeAdapter();
  adapterSetup?.(adapter);
  const clock = new FakeClock();
  const records: LogRecord[] = [];
  const log = new Logger({ level: "debug", emit: (r) => records.push(r) });
  const prespawned = opts.prespawned ? prespawn(adapter, prespawnSpec(dir, false)) : undefined;
  const sup = new Supervisor({
    prespawned,
    config,
    adapter,
    log,
    entry: resolveEntry(parseEntry(file), dir),
    listen: { kind: "tcp", host: "127.0.0.1", port: 4321 },
    cwd: dir,
    pid: 42,
    clock,
    shownTitle: () => undefined,
  });
  return {
    sup,
    adapter,
    clock,
    records,
    config,
    events: () => records.map((r) => r.event ?? ""),
    lines: (from = 0) => records.slice(from).map((r) => r.msg),
    readyAll(generation: number) {
      for (const w of adapter.live(generation)) if (!w.sent.some((m) => m.type !== "assume")) w.ready();
    },
  };
}

/** A rig booted to `running` with generation 0 ready. */
export function booted(flags: Record<string, string> = {}, adapterSetup?: (a: FakeAdapter) => void): Rig {
  const r = rig(flags, adapterSetup);
  r.sup.start();
  r.readyAll(0);
  return r;
}
