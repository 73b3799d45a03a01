#!/usr/bin/env node
// `node bench/tools/startup.mjs [rounds=5] [runtimes=node20,node24,bun,deno]`: spawn → first 200 of
// pounce 1 worker, pounce 2 workers and the raw server, alternating (raw, 1w, 2w / 2w, 1w, raw …) in
// one run so machine load hits all three alike; fresh processes, a poll every 5 ms. With
// POUNCE_TRACE_STARTUP=1 in the environment, pounce prints where its time went (src/startup-trace.ts)
// and this prints the median of each step.
import { killAll, sleep } from "../lib/proc.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, missing, RUNTIMES, Server } from "../lib/targets.mjs";

const rounds = Number(process.argv[2] ?? 5);
const only = process.argv[3]?.split(",");
const TRACE = /^pounce-trace (\S+) ([\d.]+)$/;

for (const rt of RUNTIMES.filter((r) => !only || only.includes(r.name))) {
  if (missing(rt)) continue;
  const c = contenders(rt);
  const specs = { raw: c.raw(), "pounce 1w": c.pounce(1), "pounce 2w": c.pounce(2) };
  const times = Object.fromEntries(Object.keys(specs).map((k) => [k, []]));
  const traces = {};
  for (let r = 0; r < rounds; r++) {
    const keys = Object.keys(specs);
    for (const key of r % 2 ? keys.reverse() : keys) {
      const s = await Server.start(specs[key], { name: `${rt.name} ${key}` });
      times[key].push(s.first200);
      await sleep(20);
      for (const l of s.proc.output.split("\n")) {
        const m = TRACE.exec(l.trim());
        if (!m) continue;
        const steps = (traces[key] ??= {});
        (steps[m[1]] ??= []).push(Number(m[2]) - s.proc.spawnedAt);
      }
      await s.stop();
    }
  }
  const raw = median(times.raw);
  const cells = Object.entries(times).map(
    ([k, v]) => `${k} ${median(v).toFixed(0)} ms${k === "raw" ? "" : ` (+${(median(v) - raw).toFixed(0)})`}`,
  );
  console.log(
    `${rt.name}: ${cells.join(", ")}   [min–max raw ${Math.min(...times.raw).toFixed(0)}–${Math.max(...times.raw).toFixed(0)}]`,
  );
  for (const [key, steps] of Object.entries(traces)) {
    const row = Object.entries(steps)
      .map(([step, v]) => [step, median(v)])
      .sort((a, b) => a[1] - b[1])
      .map(([step, t]) => `${step} ${t.toFixed(0)}`);
    console.log(`  ${key} trace (ms after spawn, median): ${row.join(" → ")}`);
  }
}
killAll();
