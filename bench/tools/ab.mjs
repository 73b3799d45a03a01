// pounce 1 worker vs the raw runtime server on one runtime, A B A B, req/s and CPU µs per request;
// a third row serves hello-noargs.mjs (a handler declaring no request) on the raw server, for reference.
// For profiling the request path between full bench runs:
//   node bench/tools/ab.mjs <node20|node24|bun|deno> [rounds=6] [seconds=3]
import { load } from "../lib/load.mjs";
import { cpuTicks, killAll } from "../lib/proc.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, HELLO, RUNTIMES, Server } from "../lib/targets.mjs";

const [name = "deno", rounds = 6, seconds = 3] = [process.argv[2], Number(process.argv[3] ?? 6), Number(process.argv[4] ?? 3)];
const rt = RUNTIMES.find((r) => r.name === name);
if (!rt) throw new Error(`unknown runtime ${name}`);
const c = contenders(rt);
const rows = [];
try {
  const noArgs = HELLO.replace(/hello\.mjs$/, "hello-noargs.mjs");
  const specs = [c.raw(), c.pounce(1), { ...c.raw(noArgs), label: `${c.raw().label} fetch()` }];
  for (const spec of specs) rows.push({ s: await Server.start(spec), runs: [] });
  for (const r of rows) await load(r.s.url(), { seconds: 2, connections: 32 });
  for (let i = 0; i < rounds; i++) {
    for (const r of i % 2 ? [...rows].reverse() : rows) {
      const c0 = cpuTicks(r.s.proc.pid);
      const res = await load(r.s.url(), { seconds, connections: 32 });
      r.runs.push({ rps: res.rps, cpuUs: ((cpuTicks(r.s.proc.pid) - c0) * 10_000) / res.requests });
    }
  }
  const [raw] = rows;
  for (const r of rows) {
    const ratio = median(r.runs.map((x, i) => x.rps / raw.runs[i].rps));
    console.log(
      `${r.s.label.padEnd(20)} ${Math.round(median(r.runs.map((x) => x.rps)))} req/s  ${(ratio * 100).toFixed(1)}% of raw  cpu ${median(r.runs.map((x) => x.cpuUs)).toFixed(2)} µs/req  (${r.runs.map((x) => Math.round(x.rps)).join(" / ")})`,
    );
  }
} finally {
  for (const r of rows) await r.s.stop();
  killAll();
}
process.exit(0);
