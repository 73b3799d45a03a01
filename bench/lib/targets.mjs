// What the bench runs on each runtime: pounce, the raw runtime server, srvx, the runtime's own
// multi-process option. Each start() returns a running Server (port, procs, spawn-to-first-200).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { freePort, Proc, sleep, waitFor200 } from "./proc.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BENCH = resolve(ROOT, "bench");
export const TMP = resolve(BENCH, ".tmp");
const BIN = resolve(ROOT, "bin/pounce.mjs");
const S = (f) => resolve(BENCH, "servers", f);
export const HELLO = S("hello.mjs");

/** Flags for `deno run` as docs/deno.md documents them (default `run -A`). */
function denoPounceArgs() {
  if (process.env.POUNCE_BENCH_DENO_ARGS) return process.env.POUNCE_BENCH_DENO_ARGS.split(/\s+/);
  const doc = resolve(ROOT, "docs/deno.md");
  if (existsSync(doc)) {
    const m = /deno((?:\s+(?:run|-\S+))+)\s+\S*(?:bin\/pounce\.mjs|\.bin\/pounce)/.exec(readFileSync(doc, "utf8"));
    if (m)
      return m[1]
        .trim()
        .split(/\s+/)
        .filter((a) => !a.includes("pounce"));
  }
  return ["run", "-A"];
}

export const RUNTIMES = [
  { name: "node20", kind: "node", exe: process.env.POUNCE_NODE20 ?? "/usr/bin/node" },
  { name: "node24", kind: "node", exe: process.env.POUNCE_NODE24 ?? resolve(ROOT, ".runtimes/node_modules/.bin/node") },
  { name: "bun", kind: "bun", exe: process.env.POUNCE_BUN ?? resolve(ROOT, "node_modules/.bin/bun") },
  { name: "deno", kind: "deno", exe: process.env.POUNCE_DENO ?? resolve(ROOT, "node_modules/.bin/deno") },
];

/** argv to run a script file on this runtime */
function script(rt, file) {
  return rt.kind === "deno" ? [rt.exe, "run", "-A", file] : [rt.exe, file];
}

export function pounceArgv(rt, args) {
  const pre = rt.kind === "deno" ? [rt.exe, ...denoPounceArgs(), BIN] : [rt.exe, BIN];
  return [...pre, ...args];
}

/** The contenders, per runtime. `workers` is the number of serving processes/threads. */
export function contenders(rt) {
  const raw = { node: "@hono/node-server", bun: "Bun.serve", deno: "Deno.serve" }[rt.kind];
  const multi = { node: "node:cluster", bun: "Bun reusePort processes", deno: "deno serve --parallel" }[rt.kind];
  return {
    pounce: (workers, app = HELLO, extra = []) => ({
      label: `pounce ${workers}w`,
      argv: (port) => pounceArgv(rt, [app, "--workers", String(workers), "--port", String(port), ...extra]),
    }),
    raw: (app = HELLO) => ({
      label: raw,
      argv: () => script(rt, S(rt.kind === "node" ? "node-raw.mjs" : rt.kind === "bun" ? "bun-raw.mjs" : "deno-raw.mjs")),
      env: { APP: app },
    }),
    srvx: () => ({ label: "srvx", argv: () => script(rt, S("srvx.mjs")) }),
    multi: (workers) => ({
      label: `${multi} ${workers}`,
      argv: (port) =>
        rt.kind === "node"
          ? script(rt, S("node-cluster.mjs"))
          : rt.kind === "bun"
            ? script(rt, S("bun-raw.mjs"))
            : [rt.exe, "serve", "--parallel", "-A", "--host", "127.0.0.1", "--port", String(port), HELLO],
      env: { WORKERS: String(workers), DENO_JOBS: String(workers) },
    }),
  };
}

export class Server {
  static async start(spec, { name, timeoutMs = 30_000, port: fixed } = {}) {
    const port = fixed ?? (await freePort());
    const proc = new Proc(name ?? spec.label, spec.argv(port), { cwd: ROOT, env: { PORT: String(port), ...spec.env } });
    const s = new Server(spec, port, proc);
    try {
      s.first200 = (await waitFor200(s.url(), proc, timeoutMs)) - proc.spawnedAt;
    } catch (err) {
      proc.kill();
      throw err;
    }
    return s;
  }
  constructor(spec, port, proc) {
    this.spec = spec;
    this.label = spec.label;
    this.port = port;
    this.proc = proc;
  }
  url(path = "/") {
    return `http://127.0.0.1:${this.port}${path}`;
  }
  command() {
    return this.proc.argv.map((a) => a.replace(`${ROOT}/`, "")).join(" ");
  }
  async stop() {
    await this.proc.stop();
    await sleep(50);
  }
}

/** Is this runtime installed? → null or the reason it is not. */
export function missing(rt) {
  return existsSync(rt.exe) ? null : `${rt.exe.replace(`${ROOT}/`, "")} is missing`;
}
