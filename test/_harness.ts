/**
 * Black-box helpers: start pounce as a real process on a real port, read its log, send it real
 * signals, load it with real HTTP on 127.0.0.1. Every wait is bounded.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT, type Runtime } from "./_runtimes.ts";

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

/** A scratch folder inside the checkout, so apps in it resolve pounce's node_modules (hono). */
export function tempDir(): string {
  const base = join(ROOT, "test/.tmp");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, "t-"));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A versioned app whose body names its version: deploy() rewrites it in place. */
export function versionedApp(dir: string, version: string, extra = ""): string {
  const file = join(dir, "app.ts");
  writeFileSync(
    file,
    `const VERSION: string = ${JSON.stringify(version)};
${extra}
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/slow") {
      await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? 2000)));
    }
    return new Response(VERSION);
  },
};
`,
  );
  return file;
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Wait for "Ready to accept connections" (default true). */
  ready?: boolean;
  timeoutMs?: number;
}

export class Pounce {
  readonly proc: ChildProcess;
  readonly port: number;
  output = "";
  #exit: Promise<{ code: number | null; signal: string | null }>;
  #waiters: Array<() => void> = [];

  private constructor(proc: ChildProcess, port: number) {
    this.proc = proc;
    this.port = port;
    const onData = (d: Buffer) => {
      this.output += d.toString();
      for (const w of this.#waiters.splice(0)) w();
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    this.#exit = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
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
    if (opts.ready !== false) await p.waitFor("Ready to accept connections", { timeoutMs: opts.timeoutMs ?? 30_000 });
    return p;
  }

  get pid(): number {
    return this.proc.pid as number;
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
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        await sleep(50);
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

  async exited(timeoutMs = 20_000): Promise<{ code: number | null; signal: string | null }> {
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

export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request; rejects on any socket error or on the timeout. */
export function request(
  url: string,
  opts: { method?: string; agent?: http.Agent | false; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", agent: opts.agent ?? false, headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end();
  });
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** Body of each successful response, in completion order, with its completion time. */
  responses: Array<{ at: number; body: string }>;
}

/**
 * Closed-loop load: `keepAlive` clients reusing sockets back-to-back plus `perRequest` clients
 * opening a connection per request, until `durationMs` elapses (bounded in time and count).
 */
export async function load(
  port: number,
  opts: { keepAlive: number; perRequest: number; durationMs: number; path?: string; maxRequests?: number },
): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: 0, errors: {}, responses: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.keepAlive });
  const until = Date.now() + opts.durationMs;
  const max = opts.maxRequests ?? 200_000;
  let sent = 0;
  const url = `http://127.0.0.1:${port}${opts.path ?? "/"}`;
  const client = async (a: http.Agent | false) => {
    while (Date.now() < until && sent < max) {
      sent++;
      try {
        const r = await request(url, { agent: a, timeoutMs: 10_000, headers: a === false ? { connection: "close" } : undefined });
        if (r.status >= 200 && r.status < 300) {
          result.ok++;
          result.responses.push({ at: Date.now(), body: r.body });
        } else {
          result.failed++;
          result.errors[`HTTP ${r.status}`] = (result.errors[`HTTP ${r.status}`] ?? 0) + 1;
        }
      } catch (err) {
        result.failed++;
        const key = (err as { code?: string }).code ?? (err as Error).message;
        result.errors[key] = (result.errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: opts.keepAlive }, () => client(agent)),
    ...Array.from({ length: opts.perRequest }, () => client(false)),
  ]);
  agent.destroy();
  return result;
}

export function writeApp(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
