// Closed-loop keep-alive load: wrk (-t1, few connections: on a 2-core box the load generator competes
// with the server for CPU) or, when wrk is absent, a small Node generator (closedloop.mjs).
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

let wrkPath;
export function wrk() {
  if (wrkPath === undefined) {
    try {
      wrkPath = execFileSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).trim() || null;
    } catch {
      wrkPath = null;
    }
  }
  return wrkPath;
}

/** Install wrk from Debian's packages when root and missing. Returns a note for the report. */
export function ensureWrk() {
  if (wrk()) return `wrk found at ${wrk()}`;
  if (process.getuid?.() === 0) {
    try {
      execFileSync("sh", ["-c", "apt-get update -qq && apt-get install -y -qq wrk"], { stdio: "ignore", timeout: 180_000 });
    } catch {}
    wrkPath = undefined;
    if (wrk()) return "wrk installed with apt-get";
  }
  return "wrk unavailable: using the Node closed-loop generator (bench/lib/closedloop.mjs)";
}

const running = new Set();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

function run(argv, timeoutMs) {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    running.add(p);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("exit", (code) => {
      running.delete(p);
      clearTimeout(t);
      code === 0 ? resolve(out) : reject(new Error(`${argv.join(" ")} exited ${code}: ${out.slice(-300)}`));
    });
  });
}

const UNIT = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
function ms(s) {
  const m = /([\d.]+)(us|ms|s|m)/.exec(s);
  return m ? Number(m[1]) * UNIT[m[2]] : NaN;
}

export function loadCommand(url, { seconds, connections }) {
  return wrk()
    ? ["wrk", "-t1", `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, "--latency", url]
    : [process.execPath, fileURLToPath(new URL("./closedloop.mjs", import.meta.url)), url, String(seconds), String(connections)];
}

/** {rps, p50, p99 (ms), errors, requests} */
export async function load(url, opts) {
  const argv = loadCommand(url, opts);
  const out = await run(argv, (opts.seconds + 15) * 1000);
  if (!wrk()) return JSON.parse(out.trim().split("\n").pop());
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const p99 = ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50, p99, errors, requests };
}
