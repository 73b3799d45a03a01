// 1. Throughput and latency (closed-loop keep-alive, wrk -t1) and 3. start-up and memory, per runtime.
// Every contender is started one after the other (spawn → first 200, RSS idle), then loaded in
// rounds A B C D E / E D C B A … so drift on the shared 2-core machine cancels; RSS after load.
import { load, loadCommand } from "../lib/load.mjs";
import { cpuTicks, sleep, treeRss } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, Server } from "../lib/targets.mjs";

export const CONNS = 32;

export function estimate(cfg) {
  return (cfg.contenders?.length ?? 5) * (1.5 + cfg.warmup + cfg.rounds * cfg.seconds) + 2;
}

export async function throughput(rt, cfg) {
  const c = contenders(rt);
  const specs = [
    { key: "pounce1", spec: c.pounce(1) },
    { key: "raw", spec: c.raw() },
    { key: "srvx", spec: c.srvx() },
    { key: "pounce2", spec: c.pounce(2) },
    { key: "multi", spec: c.multi(2) },
  ].filter((x) => !cfg.contenders || cfg.contenders.includes(x.key));
  const rows = {};
  const servers = [];
  try {
    for (const { key, spec } of specs) {
      step(`${rt.name}: start ${spec.label}`, 1.5);
      const row = { key, label: spec.label, runs: [] };
      rows[key] = row;
      try {
        const s = await Server.start(spec, { name: `${rt.name} ${spec.label}`, timeoutMs: 20_000 });
        servers.push([key, s]);
        row.command = s.command();
        row.first200 = s.first200;
        await sleep(500);
        row.rssIdle = treeRss(s.proc.pid);
      } catch (err) {
        row.unavailable = reason(err);
      }
    }
    for (const [key, s] of servers) {
      step(`${rt.name}: warm up ${s.label}`, cfg.warmup);
      await load(s.url(), { seconds: cfg.warmup, connections: CONNS }).catch(() => {});
      rows[key].loadCommand = loadCommand(s.url(), { seconds: cfg.seconds, connections: CONNS }).join(" ");
    }
    for (let r = 0; r < cfg.rounds; r++) {
      const order = r % 2 ? [...servers].reverse() : servers;
      for (const [key, s] of order) {
        step(`${rt.name}: round ${r + 1}/${cfg.rounds} ${s.label}`, cfg.seconds);
        try {
          // CPU time per request of the server's processes: unlike req/s, barely moved by other
          // work on a shared machine
          const c0 = cpuTicks(s.proc.pid);
          const run = await load(s.url(), { seconds: cfg.seconds, connections: CONNS });
          run.cpuUs = ((cpuTicks(s.proc.pid) - c0) * 10_000) / run.requests;
          rows[key].runs[r] = run;
        } catch (err) {
          rows[key].runs[r] = { rps: NaN, p50: NaN, p99: NaN, errors: NaN, failure: reason(err) };
        }
      }
    }
    for (const [key, s] of servers) rows[key].rssLoaded = treeRss(s.proc.pid);
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  for (const row of Object.values(rows)) {
    if (row.unavailable) continue;
    row.rps = median(row.runs.map((x) => x.rps));
    row.p50 = median(row.runs.map((x) => x.p50));
    row.p99 = median(row.runs.map((x) => x.p99));
    row.errors = row.runs.reduce((a, x) => a + (x.errors || 0), 0);
    row.cpuUs = median(row.runs.map((x) => x.cpuUs));
  }
  // ratio pair by pair: per round, then the median of the rounds
  const ratio = (a, b) =>
    !rows[a] || !rows[b] || rows[a].unavailable || rows[b].unavailable
      ? NaN
      : median(rows[a].runs.map((x, i) => x.rps / rows[b].runs[i]?.rps));
  // CPU per request of b over a, round by round: > 100% means a spends more CPU per request
  const cpuRatio = (a, b) =>
    !rows[a] || !rows[b] || rows[a].unavailable || rows[b].unavailable
      ? NaN
      : median(rows[a].runs.map((x, i) => x.cpuUs / rows[b].runs[i]?.cpuUs));
  return {
    runtime: rt.name,
    rows,
    ratios: { p1raw: ratio("pounce1", "raw"), p1srvx: ratio("pounce1", "srvx"), p2multi: ratio("pounce2", "multi") },
    cpu: { p1raw: cpuRatio("pounce1", "raw"), p2multi: cpuRatio("pounce2", "multi") },
  };
}

export function reason(err) {
  const m = String(err?.message ?? err);
  const line = m.split("\n").find((l) => /error|not|cannot|fail/i.test(l)) ?? m.split("\n")[0];
  return line.replace(/^.*?exited: /, "").slice(0, 200);
}
