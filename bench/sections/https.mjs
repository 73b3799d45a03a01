// 7. HTTPS throughput: pounce (1 worker, --tls-cert/--tls-key) vs the raw runtime server with the same
// certificate (servers/https-raw.mjs), wrk -t1 over TLS (HTTP/1.1 keep-alive: the handshake once per
// connection, then TLS records), in alternating rounds as in section 1.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import https from "node:https";
import { resolve } from "node:path";
import { load, loadCommand } from "../lib/load.mjs";
import { freePort, now, Proc, sleep } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { BENCH, HELLO, pounceArgv, TMP } from "../lib/targets.mjs";

const CONNS = 32;

export function estimate(cfg) {
  return 2 * (2 + cfg.warmup + cfg.rounds * cfg.seconds) + 2;
}

function certs() {
  const dir = resolve(TMP, "https");
  mkdirSync(dir, { recursive: true });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  execFileSync(
    "openssl",
    ["req", "-x509", ...ec, "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=127.0.0.1", "-days", "2"],
    {
      cwd: dir,
      stdio: "ignore",
    },
  );
  return { cert: resolve(dir, "cert.pem"), key: resolve(dir, "key.pem") };
}

function get(url) {
  return new Promise((res, rej) => {
    const req = https.get(url, { rejectUnauthorized: false, agent: false, timeout: 2000 }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    });
    req.on("error", rej);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

async function start(name, argv, env, port) {
  const proc = new Proc(name, argv, { env: { PORT: String(port), ...env } });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if ((await get(`https://127.0.0.1:${port}/`).catch(() => 0)) === 200) return { proc, first200: now() - proc.spawnedAt };
    if (!proc.alive) throw new Error(`${name} exited: ${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`${name}: no 200 over https within 20 s`);
    await sleep(10);
  }
}

export async function httpsThroughput(rt, cfg) {
  const tls = certs();
  const script = rt.kind === "deno" ? [rt.exe, "run", "-A"] : [rt.exe];
  const specs = [
    {
      key: "pounce1",
      label: "pounce 1w (--tls-cert)",
      argv: (port) =>
        pounceArgv(rt, [HELLO, "--workers", "1", "--port", String(port), "--tls-cert", tls.cert, "--tls-key", tls.key]),
      env: {},
    },
    {
      key: "raw",
      label: { node: "@hono/node-server + http2 secure", bun: "Bun.serve tls", deno: "Deno.serve cert/key" }[rt.kind],
      argv: () => [...script, resolve(BENCH, "servers/https-raw.mjs")],
      env: { TLS_CERT: tls.cert, TLS_KEY: tls.key },
    },
  ];
  const rows = {};
  const servers = [];
  try {
    for (const s of specs) {
      step(`${rt.name}: start ${s.label} (https)`, 2);
      const port = await freePort();
      const row = { key: s.key, label: s.label, runs: [] };
      rows[s.key] = row;
      try {
        const started = await start(`${rt.name} ${s.label}`, s.argv(port), s.env, port);
        row.command = started.proc.argv.join(" ");
        row.first200 = started.first200;
        servers.push([s.key, started.proc, `https://127.0.0.1:${port}/`]);
      } catch (err) {
        row.unavailable = String(err.message ?? err).slice(0, 200);
      }
    }
    for (const [key, , url] of servers) {
      step(`${rt.name}: warm up ${rows[key].label}`, cfg.warmup);
      await load(url, { seconds: cfg.warmup, connections: CONNS }).catch(() => {});
      rows[key].loadCommand = loadCommand(url, { seconds: cfg.seconds, connections: CONNS }).join(" ");
    }
    for (let r = 0; r < cfg.rounds; r++) {
      const order = r % 2 ? [...servers].reverse() : servers;
      for (const [key, , url] of order) {
        step(`${rt.name}: https round ${r + 1}/${cfg.rounds} ${rows[key].label}`, cfg.seconds);
        rows[key].runs[r] = await load(url, { seconds: cfg.seconds, connections: CONNS }).catch((err) => ({
          rps: NaN,
          p99: NaN,
          errors: NaN,
          failure: String(err.message ?? err).slice(0, 200),
        }));
      }
    }
  } finally {
    for (const [, proc] of servers) await proc.stop();
  }
  for (const row of Object.values(rows)) {
    if (row.unavailable) continue;
    row.rps = median(row.runs.map((x) => x.rps));
    row.p99 = median(row.runs.map((x) => x.p99));
    row.errors = row.runs.reduce((a, x) => a + (x.errors || 0), 0);
  }
  const ratio =
    rows.pounce1?.unavailable || rows.raw?.unavailable
      ? NaN
      : median(rows.pounce1.runs.map((x, i) => x.rps / rows.raw.runs[i]?.rps));
  return { runtime: rt.name, rows, ratio };
}

export function reportLines(results) {
  const L = ["## 7. HTTPS throughput (hello world, TLS keep-alive, closed loop)", ""];
  L.push(
    `wrk -t1 -c${CONNS} over TLS (HTTP/1.1: one handshake per connection, then TLS records), pounce with one worker`,
    "vs the runtime's own TLS server with the same certificate (bench/servers/https-raw.mjs); medians of the rounds.",
    "",
    "| runtime | server | req/s | p99 | errors | pounce ÷ raw |",
    "|---|---|---:|---:|---:|---:|",
  );
  for (const r of results)
    for (const row of Object.values(r.rows))
      L.push(
        row.unavailable
          ? `| ${r.runtime} | ${row.label} | not available: ${row.unavailable} | | | |`
          : `| ${r.runtime} | ${row.label} | ${Math.round(row.rps)} | ${row.p99?.toFixed(2)} ms | ${row.errors} | ${row.key === "pounce1" ? `${(r.ratio * 100).toFixed(0)} %` : ""} |`,
      );
  L.push("");
  for (const r of results)
    for (const row of Object.values(r.rows)) if (row.command) L.push(`- ${r.runtime} ${row.label}: \`${row.command}\``);
  const any = results.flatMap((r) => Object.values(r.rows)).find((x) => x.loadCommand);
  if (any) L.push(`- load: \`${any.loadCommand.replace(/:\d+\//, ":PORT/")}\``);
  L.push("");
  return L;
}
