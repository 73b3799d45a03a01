// Processes the bench starts: each in its own process group, tracked, and killed (whole group) on
// exit, on error and on Ctrl-C. Also: free ports, waiting for the first 200, RSS from /proc.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock ms with sub-ms precision; the same base in every Node process on the machine. */
export const now = () => performance.timeOrigin + performance.now();

const live = new Set();

export function killAll() {
  for (const p of live) p.kill();
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export class Proc {
  constructor(name, argv, opts = {}) {
    this.name = name;
    this.argv = argv;
    this.output = "";
    this.spawnedAt = now();
    this.child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.pid = this.child.pid;
    this.lines = []; // [timeMs, line]
    let partial = "";
    const onData = (d) => {
      const t = now();
      const s = d.toString();
      this.output += s;
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
      partial += s;
      const parts = partial.split("\n");
      partial = parts.pop();
      for (const l of parts) this.lines.push([t, l]);
      for (const w of this.waiters.splice(0)) w();
    };
    this.waiters = [];
    this.child.stdout.on("data", onData);
    this.child.stderr.on("data", onData);
    this.exitInfo = null;
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal, at: now() };
        for (const w of this.waiters.splice(0)) w();
        resolve(this.exitInfo);
      }),
    );
    this.child.once("error", (err) => {
      this.output += `spawn error: ${err.message}\n`;
      this.exitInfo = { code: -1, signal: null, at: now() };
      for (const w of this.waiters.splice(0)) w();
    });
    live.add(this);
  }

  get alive() {
    return this.exitInfo === null;
  }

  signal(sig) {
    try {
      process.kill(this.pid, sig);
    } catch {}
  }

  kill() {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {}
    live.delete(this);
  }

  async stop() {
    this.kill();
    await Promise.race([this.exited, sleep(3000)]);
  }

  /** Time (bench clock) of the first output line at/after `since` containing `text`, waiting up to timeoutMs. */
  async waitLine(text, { since = 0, timeoutMs = 30_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let from = 0;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const [t, l] = this.lines[i];
        if (t >= since && l.includes(text)) return t;
      }
      from = this.lines.length;
      if (!this.alive) throw new Error(`${this.name} exited before "${text}": ${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for "${text}": ${this.tail()}`);
      await new Promise((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  tail(n = 3) {
    return this.output.trim().split("\n").slice(-n).join(" | ").slice(0, 400);
  }
}

/** One GET with a fresh connection; resolves {status, body} or rejects. */
export function get(url, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Poll until the URL answers 200; returns the bench-clock time of that answer. */
export async function waitFor200(url, proc, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await get(url, 2000);
      if (r.status === 200) return now();
    } catch {}
    if (proc && !proc.alive) throw new Error(`${proc.name} exited: ${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`${url} gave no 200 within ${timeoutMs} ms${proc ? `: ${proc.tail()}` : ""}`);
    await sleep(5);
  }
}

export function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function childrenOf(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {}
  return out;
}

/** RSS of a process and of each child process (KB). */
export function treeRss(pid) {
  return {
    main: rssKb(pid),
    children: childrenOf(pid)
      .map((c) => ({ pid: c, rss: rssKb(c) }))
      .filter((c) => c.rss !== null),
  };
}

/** CPU time (utime + stime, clock ticks of 10 ms) of a process and its live child processes. */
export function cpuTicks(pid) {
  const one = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  return [pid, ...childrenOf(pid)].reduce((a, p) => a + one(p), 0);
}

/** Until the state file lists `n` warm workers waiting (bounded). */
export async function warmWaiting(stateFile, n) {
  const until = now() + 20_000;
  while (now() < until) {
    try {
      const warm = JSON.parse(readFileSync(stateFile, "utf8")).warm_workers ?? [];
      if (warm.filter((w) => w.state === "waiting").length >= n) return;
    } catch {}
    await sleep(20);
  }
  throw new Error(`${n} warm workers not waiting within 20 s`);
}
