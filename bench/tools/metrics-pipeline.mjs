// The request-path cost of --metrics-path without the network: pounce's request pipeline
// (dist/src/worker/handler.js) called in-process, without and with the metrics counters, A B A B,
// CPU ns per request (process.cpuUsage, so time the process spends descheduled on a loaded machine
// is not counted, unlike req/s over sockets).
//   node bench/tools/metrics-pipeline.mjs [rounds=6] [requests=300000]

import { Logger } from "../../dist/src/log.js";
import { WorkerMetrics } from "../../dist/src/metrics/worker-metrics.js";
import { createPipeline } from "../../dist/src/worker/handler.js";
import { InFlight } from "../../dist/src/worker/in-flight.js";
import { median } from "../lib/stats.mjs";

const runtime = globalThis.Bun
  ? `bun ${globalThis.Bun.version}`
  : globalThis.Deno
    ? `deno ${globalThis.Deno.version.deno}`
    : `node ${process.version}`;
const rounds = Number(process.argv[2] ?? 6);
const n = Number(process.argv[3] ?? 300_000);
const res = new Response("hello");
const app = { fetch: () => res };
const make = (metrics) =>
  createPipeline({
    app,
    log: new Logger({ level: "error", emit: () => {} }),
    inFlight: new InFlight(),
    health: { shuttingDown: false, generation: 0, worker: 0, inFlight: () => 0 },
    healthCheckPath: "",
    requestTimeoutMs: 0,
    accessLog: false,
    worker: { id: 0, generation: 0 },
    metrics,
    metricsPath: metrics ? "/metrics" : undefined,
  });
const metrics = new WorkerMetrics({ send: () => {}, inFlight: () => 0 });
const rows = [
  { label: "pipeline", handle: make(undefined), runs: [] },
  { label: "pipeline + metrics", handle: make(metrics), runs: [] },
];
const req = new Request("http://127.0.0.1/hello");
const run = (handle) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) handle(req, {});
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
};
for (const r of rows) run(r.handle); // warm up
for (let i = 0; i < rounds; i++) for (const r of i % 2 ? [...rows].reverse() : rows) r.runs.push(run(r.handle));
for (const r of rows)
  console.log(
    `${runtime} ${r.label.padEnd(20)} ${median(r.runs).toFixed(1)} CPU ns/request  (${r.runs.map((x) => x.toFixed(0)).join(" / ")})`,
  );
console.log(`counted: ${metrics.counters.requests[1]} 2xx`);
