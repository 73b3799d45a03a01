// WebSocket echo round-trip, pounce (1 worker) vs the raw runtime server, per runtime: CONNS clients
// (the `ws` package, so the bench runs on Node 20 too), each sending its next message when the echo
// of the last one came back, for `seconds` per round, rounds A B / B A … so drift cancels.
import { resolve } from "node:path";
import WebSocket from "ws";
import { sleep } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { fmt, median, quantile } from "../lib/stats.mjs";
import { BENCH, contenders, Server } from "../lib/targets.mjs";

export const CONNS = 8;
const ECHO = resolve(BENCH, "servers/ws-echo.mjs");
const RAW = resolve(BENCH, "servers/ws-raw.mjs");

export function estimate(cfg) {
  return 2 * (1.5 + cfg.warmup + cfg.rounds * cfg.seconds) + 1;
}

/** CONNS sockets echoing back to back for `seconds`: messages/s and round-trip quantiles (ms). */
async function echoLoad(port, seconds) {
  const rtts = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const one = () =>
    new Promise((done) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      let sentAt = 0;
      const next = () => {
        if (performance.now() >= until) return ws.close(1000);
        sentAt = performance.now();
        ws.send("ping");
      };
      ws.on("open", next);
      ws.on("message", () => {
        rtts.push(performance.now() - sentAt);
        next();
      });
      ws.on("error", () => {
        errors++;
        done();
      });
      ws.on("close", () => done());
    });
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNS }, one));
  const elapsed = (performance.now() - started) / 1000;
  rtts.sort((a, b) => a - b);
  return { mps: rtts.length / elapsed, p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99), messages: rtts.length, errors };
}

export async function websocketEcho(rt, cfg) {
  const c = contenders(rt);
  const specs = [
    { key: "pounce", spec: c.pounce(1, ECHO) },
    { key: "raw", spec: { ...c.raw(), label: `${c.raw().label} (raw)`, argv: () => rawArgv(rt) } },
  ];
  const rows = {};
  const servers = [];
  try {
    for (const { key, spec } of specs) {
      step(`${rt.name}: ws start ${spec.label}`, 1.5);
      const row = { key, label: spec.label, runs: [] };
      rows[key] = row;
      try {
        const s = await Server.start(spec, { name: `${rt.name} ws ${spec.label}`, timeoutMs: 20_000 });
        servers.push([key, s]);
        row.command = s.command();
      } catch (err) {
        row.unavailable = String(err?.message ?? err).split("\n")[0];
      }
    }
    for (const [key, s] of servers) {
      step(`${rt.name}: ws warm up ${s.label}`, cfg.warmup);
      await echoLoad(s.port, cfg.warmup).catch(() => {});
      rows[key].warm = true;
    }
    for (let r = 0; r < cfg.rounds; r++) {
      const order = r % 2 ? [...servers].reverse() : servers;
      for (const [key, s] of order) {
        step(`${rt.name}: ws round ${r + 1}/${cfg.rounds} ${s.label}`, cfg.seconds);
        rows[key].runs[r] = await echoLoad(s.port, cfg.seconds);
        await sleep(100);
      }
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  for (const row of Object.values(rows)) {
    if (row.unavailable) continue;
    row.mps = median(row.runs.map((x) => x.mps));
    row.p50 = median(row.runs.map((x) => x.p50));
    row.p99 = median(row.runs.map((x) => x.p99));
    row.errors = row.runs.reduce((a, x) => a + x.errors, 0);
  }
  const ratio =
    rows.pounce?.runs.length && rows.raw?.runs.length
      ? median(rows.pounce.runs.map((x, i) => x.mps / rows.raw.runs[i]?.mps))
      : NaN;
  return { runtime: rt.name, rows, ratio };
}

function rawArgv(rt) {
  return rt.kind === "deno" ? [rt.exe, "run", "-A", RAW] : [rt.exe, RAW];
}

export function reportLines(results, cfg) {
  const L = [
    `## WebSocket echo round-trip (${CONNS} sockets, next message on each echo, ${cfg.rounds} × ${cfg.seconds} s)`,
    "",
    "| runtime | server | messages/s | p50 | p99 | errors | pounce / raw |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    for (const row of Object.values(r.rows)) {
      if (row.unavailable) {
        L.push(`| ${r.runtime} | ${row.label} | not available: ${row.unavailable} | | | | |`);
        continue;
      }
      const share = row.key === "pounce" ? `${fmt(r.ratio * 100, 1)} %` : "";
      L.push(
        `| ${r.runtime} | ${row.label} | ${fmt(row.mps)} | ${fmt(row.p50, 3)} ms | ${fmt(row.p99, 3)} ms | ${row.errors} | ${share} |`,
      );
    }
  }
  L.push("");
  for (const r of results)
    for (const row of Object.values(r.rows))
      if (row.command) L.push(`- ${r.runtime} ${row.label}: \`${row.command.replace(/--port \d+/, "--port P")}\``);
  L.push("");
  return L;
}
