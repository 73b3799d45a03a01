/**
 * The app under test: pounce serving verify's deploy link, as a child process on the runtime verify
 * runs on, with JSON logs and a state file. Reloads and the shutdown are real signals; their
 * outcomes are read from the state file as `pounce reload` reads them (src/control/wait.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ReloadEntry, readState, statePathFor } from "../control/state.ts";
import { waitForState } from "../control/wait.ts";
import { now } from "./load-generator.ts";

export interface LogLine {
  event?: string;
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

/** bin/pounce.mjs, found upwards from this file (it runs from dist/src/verify or src/verify). */
function pounceBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const bin = join(dir, "bin", "pounce.mjs");
    if (existsSync(bin)) return bin;
  }
  throw new Error("pounce verify: bin/pounce.mjs not found above this module");
}

/** The same runtime as this process: `node|bun bin/pounce.mjs …`, or `deno run -A bin/pounce.mjs …`. */
export function pounceCommand(args: string[]): string[] {
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  return [process.execPath, ...(deno ? ["run", "-A"] : []), pounceBin(), ...args];
}

export interface ReloadResult {
  outcome: "complete" | "cut-over" | "failed" | "timeout";
  entry: ReloadEntry | null;
}

export class AppUnderTest {
  readonly logs: LogLine[] = [];
  /** Output lines that were not pounce's JSON log records (the app's own, a runtime's warnings). */
  readonly other: string[] = [];
  readonly #proc: ChildProcess;
  readonly #statePath: string;
  readonly #exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  #exit: { code: number | null; signal: string | null; at: number } | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(opts: { entry: string; serveArgs: string[]; host: string; port: number; dir: string; cwd: string }) {
    const pidFile = join(opts.dir, "pounce.pid");
    this.#statePath = statePathFor(pidFile);
    const argv = pounceCommand([
      resolve(opts.entry),
      ...opts.serveArgs,
      "--host",
      opts.host,
      "--port",
      String(opts.port),
      "--log-format",
      "json",
      "--pid-file",
      pidFile,
    ]);
    this.#proc = spawn(argv[0] as string, argv.slice(1), {
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: verify can stop everything it started
    });
    for (const stream of [this.#proc.stdout, this.#proc.stderr]) {
      let rest = "";
      stream?.on("data", (d: Buffer) => {
        const lines = (rest + d.toString()).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) this.#line(line);
      });
    }
    this.#exited = new Promise((done) =>
      this.#proc.once("exit", (code, signal) => {
        this.#exit = { code, signal, at: now() };
        done(this.#exit);
        this.#wake();
      }),
    );
  }

  get pid(): number {
    return this.#proc.pid as number;
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  count(event: string): number {
    return this.logs.filter((l) => l.event === event).length;
  }

  #line(line: string): void {
    if (!line.trim()) return;
    let record: LogLine | undefined;
    try {
      const parsed = JSON.parse(line);
      if (parsed && typeof parsed === "object" && typeof parsed.msg === "string") record = parsed;
    } catch {}
    if (record) this.logs.push(record);
    else this.other.push(line);
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves with the first log record `match` accepts, or undefined on exit or timeout. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine | undefined> {
    return new Promise((done) => {
      const look = () => {
        const hit = this.logs.find(match);
        if (hit || this.#exit) finish(hit);
      };
      const finish = (l: LogLine | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(look);
        done(l);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.#waiters.add(look);
      look();
    });
  }

  /** SIGHUP, then the reload's outcome from the state file, once it completed (old workers gone) or failed. */
  async reload(timeoutMs: number): Promise<ReloadResult> {
    const ours = (readState(this.#statePath)?.reloads_requested ?? 0) + 1;
    process.kill(this.pid, "SIGHUP"); // not proc.kill(): Deno's sends only its first signal
    const entry = await waitForState(this.#statePath, timeoutMs, (s) => {
      const r = s?.last_reload;
      if (this.#exit) return null;
      if (!r || r.covers < ours) return undefined;
      return r.outcome === "complete" || r.outcome === "failed" ? r : undefined;
    });
    if (entry === undefined) return { outcome: "timeout", entry: readState(this.#statePath)?.last_reload ?? null };
    if (entry === null) return { outcome: "failed", entry: null };
    return { outcome: entry.outcome === "complete" ? "complete" : "failed", entry };
  }

  /** SIGTERM, then the exit (undefined if it did not exit within the timeout: the group is killed). */
  async stop(timeoutMs: number): Promise<{ code: number | null; signal: string | null; at: number } | undefined> {
    if (!this.#exit) process.kill(this.pid, "SIGTERM");
    let wake: (v: undefined) => void = () => {};
    const late = new Promise<undefined>((r) => {
      wake = r;
    });
    const timer = setTimeout(() => wake(undefined), timeoutMs);
    const exit = await Promise.race([this.#exited, late]);
    clearTimeout(timer);
    if (!exit) this.kill();
    return exit;
  }

  /** Stop pounce and its workers at once (verify's own clean-up). */
  kill(): void {
    if (this.#exit) return;
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {}
  }

  waitExit(): Promise<unknown> {
    return this.#exited;
  }
}
