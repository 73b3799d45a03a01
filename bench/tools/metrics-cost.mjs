// The cost of --metrics-path on the request path: pounce 1 worker without and with it, same run,
// A B A B, req/s and CPU µs per request (the CPU of pounce's whole process tree).
//   node bench/tools/metrics-cost.mjs <node20|node24|bun|deno> [rounds=6] [seconds=3]
import { load } from "../lib/load.mjs";
import { cpuTicks, killAll } from "../lib/proc.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, RUNTIMES, Server } from "../lib/targets.mjs";

const [name = "node24", rounds = 6, seconds = 3] = [process.argv[2], Number(process.argv[3] ?? 6), Number(process.argv[4] ?? 3)];
const rt = RUNTIMES.find((r) => r.name === name);
if (!rt) throw new Error(`unknown runtime ${name}`);
const c = contenders(rt);
const rows = [];
const treeTicks = (pid) => cpuTicks(pid);
try {
  const plain = c.pounce(1);
  const metered = { ...c.pounce(1, undefined, ["--metrics-path", "/metrics"]), label: "pounce 1w --metrics-path" };
  for (const spec of [plain, metered]) rows.push({ s: await Server.start(spec), runs: [] });
  for (const r of rows) await load(r.s.url(), { seconds: 2, connections: 32 });
  for (let i = 0; i < rounds; i++) {
    for (const r of i % 2 ? [...rows].reverse() : rows) {
      const c0 = treeTicks(r.s.proc.pid);
      const res = await load(r.s.url(), { seconds, connections: 32 });
      r.runs.push({ rps: res.rps, cpuUs: ((treeTicks(r.s.proc.pid) - c0) * 10_000) / res.requests });
    }
  }
  // The requests the load sent must show up in the metered server's counters.
  const text = await (await fetch(rows[1].s.url("/metrics"))).text();
  const counted = text.match(/^pounce_http_requests_total\{code="2xx"\} (\d+)/m)?.[1];
  const [base] = rows;
  for (const r of rows) {
    const ratio = median(r.runs.map((x, i) => x.rps / base.runs[i].rps));
    console.log(
      `${rt.name} ${r.s.label.padEnd(26)} ${Math.round(median(r.runs.map((x) => x.rps)))} req/s  ${(ratio * 100).toFixed(1)}% of without  cpu ${median(r.runs.map((x) => x.cpuUs)).toFixed(2)} µs/req  (${r.runs.map((x) => Math.round(x.rps)).join(" / ")})`,
    );
  }
  console.log(`${rt.name} metered server counted ${counted} 2xx requests`);
} finally {
  for (const r of rows) await r.s.stop();
  killAll();
}
process.exit(0);
