/**
 * One pounce process under test: started on a real port in its own process group, its log read
 * as it arrives, real signals sent to it, the process table read to see what it left behind.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import type { Runtime } from "./_runtimes.ts";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Wait for "Ready to accept connections" (default true). */
  ready?: boolean;
  timeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: string | null;
}

export class Pounce {
  readonly proc: ChildProcess;
  readonly port: number;
  output = "";
  #exit: Promise<Exit>;
  #waiters: Array<() => void> = [];
  /** Where each chunk of output starts and when it arrived, for arrivedAt(). */
  readonly #chunks: Array<{ offset: number; at: number }> = [];

  private constructor(proc: ChildProcess, port: number) {
    this.proc = proc;
    this.port = port;
    const onData = (d: Buffer) => {
      this.#chunks.push({ offset: this.output.length, at: Date.now() });
      this.output += d.toString();
      for (const w of this.#waiters.splice(0)) w();
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    // Resolved once the output is read to its end too ("exit" can come before the last lines on the
    // pipes), or 2 s after the exit where a process left behind still holds a pipe open.
    const closed = new Promise<void>((resolve) => proc.once("close", () => resolve()));
    this.#exit = new Promise((resolve) =>
      proc.once("exit", (code, signal) => {
        const bound = setTimeout(resolve, 2_000, { code, signal });
        void closed.then(() => {
          clearTimeout(bound);
          resolve({ code, signal });
        });
      }),
    );
    this.#exit.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async start(rt: Runtime, args: string[], opts: StartOptions = {}): Promise<Pounce> {
    const port = await freePort();
    const argv = rt.argv([...args, "--port", String(port)]);
    const proc = spawn(argv[0] as string, argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group, so a test can signal the whole group like Ctrl-C does
    });
    const p = new Pounce(proc, port);
    live.add(p);
    if (opts.ready !== false) {
      try {
        await p.waitFor("Ready to accept connections", { timeoutMs: opts.timeoutMs ?? 30_000 });
      } catch (err) {
        p.kill(); // nobody holds this handle yet: do not leave it running into the next test
        throw err;
      }
    }
    return p;
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  /** True once the supervisor process has exited (by code or by signal). */
  get hasExited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  url(path = "/"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Wait until the output (from `from` on) matches; returns the index just past the match. */
  async waitFor(pattern: string | RegExp, opts: { timeoutMs?: number; from?: number } = {}): Promise<number> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    const from = opts.from ?? 0;
    for (;;) {
      const hay = this.output.slice(from);
      const idx = typeof pattern === "string" ? hay.indexOf(pattern) : hay.search(pattern);
      if (idx >= 0) return from + idx + 1;
      if (this.hasExited) {
        // The last chunks of a pipe can arrive just after the exit event.
        await pause(50);
        const again = this.output.slice(from);
        if ((typeof pattern === "string" ? again.indexOf(pattern) : again.search(pattern)) >= 0) continue;
        throw new Error(`pounce exited before ${pattern} appeared. Output:\n${this.output}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}. Output:\n${this.output}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** When the output at `index` (e.g. what waitFor returned) reached the test: a log line's time. */
  arrivedAt(index: number): number {
    let at = Number.NaN;
    for (const c of this.#chunks) {
      if (c.offset >= index) break;
      at = c.at;
    }
    return at;
  }

  /** Wait until the output (from `from` on) holds `n` matches of `pattern`; one deadline for all. */
  async waitForCount(pattern: string | RegExp, n: number, opts: { timeoutMs?: number; from?: number } = {}): Promise<number> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    let from = opts.from ?? 0;
    for (let i = 0; i < n; i++) from = await this.waitFor(pattern, { from, timeoutMs: Math.max(1, deadline - Date.now()) });
    return from;
  }

  count(pattern: string | RegExp): number {
    return this.output.split("\n").filter((l) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l))).length;
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  /** Signal every process of pounce's process group (Ctrl-C in a terminal). */
  signalGroup(sig: NodeJS.Signals): void {
    process.kill(-this.pid, sig);
  }

  async exited(timeoutMs = 20_000): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`pounce did not exit within ${timeoutMs}ms. Output:\n${this.output}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.#exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** PIDs of processes in pounce's process group other than the supervisor. */
  groupPids(): number[] {
    return processesInGroup(this.pid)
      .filter((p) => p.pid !== this.pid)
      .map((p) => p.pid);
  }

  kill(): void {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {}
    live.delete(this);
  }
}

const live = new Set<Pounce>();
/** Kill anything a failed test left behind. */
export function killAll(): void {
  for (const p of live) p.kill();
}
process.on("exit", killAll);

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

export function processes(): ProcInfo[] {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,pgid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[4] as string }));
}

export function processesInGroup(pgid: number): ProcInfo[] {
  return processes().filter((p) => p.pgid === pgid);
}
