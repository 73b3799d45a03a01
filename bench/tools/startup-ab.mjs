#!/usr/bin/env node
// `node bench/tools/startup-ab.mjs <other-checkout> [pairs=10] [runtimes=node20,node24,bun,deno]`:
// pounce 1 worker started from another built checkout (before) and from this one (after), in
// alternating pairs (before, after / after, before …) after one uncounted pair, per runtime. Prints
// the medians of spawn → first 200, of the supervisor's module loading (s-bin → s-cli-loaded) and of
// the worker's (w-origin → w-main), and the mean CPU time (utime + stime, supervisor + worker) to the
// first 200: on a loaded machine the wall-clock figures move by hundreds of ms, the CPU time much less.
// E.g. a copy of this checkout built with `tsc` alone (no start-up bundle) against `npm run build`.
import { resolve } from "node:path";
import { cpuTicks, killAll, sleep } from "../lib/proc.mjs";
import { median } from "../lib/stats.mjs";
import { HELLO, ROOT, RUNTIMES, Server } from "../lib/targets.mjs";

if (!process.argv[2]) {
  console.error("usage: node bench/tools/startup-ab.mjs <other-checkout> [pairs] [runtimes]");
  process.exit(2);
}
const roots = { before: resolve(process.argv[2]), after: ROOT };
const pairs = Number(process.argv[3] ?? 10);
const only = process.argv[4]?.split(",");
const TRACE = /^pounce-trace (\S+) ([\d.]+)$/;
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

for (const rt of RUNTIMES.filter((r) => !only || only.includes(r.name))) {
  const t = Object.fromEntries(Object.keys(roots).map((k) => [k, { first200: [], sup: [], wrk: [], cpu: [] }]));
  for (let r = 0; r <= pairs; r++) {
    for (const k of r % 2 ? ["after", "before"] : ["before", "after"]) {
      const bin = resolve(roots[k], "bin/pounce.mjs");
      const pre = rt.kind === "deno" ? [rt.exe, "run", "-A", bin] : [rt.exe, bin];
      const spec = { label: k, argv: (port) => [...pre, HELLO, "--workers", "1", "--port", String(port)] };
      const s = await Server.start({ ...spec, env: { POUNCE_TRACE_STARTUP: "1" } }, { name: `${rt.name} ${k}` });
      const cpuMs = cpuTicks(s.proc.pid) * 10;
      await sleep(20); // the trace lines of the last steps
      const at = {};
      for (const l of s.proc.output.split("\n")) {
        const m = TRACE.exec(l.trim());
        if (m) at[m[1]] ??= Number(m[2]);
      }
      await s.stop();
      if (r === 0) continue; // the first pair fills caches (Deno's code cache after a build)
      t[k].first200.push(s.first200);
      t[k].sup.push(at["s-cli-loaded"] - at["s-bin"]);
      t[k].wrk.push(at["w-main"] - at["w-origin"]);
      t[k].cpu.push(cpuMs);
    }
  }
  const m = (k, f) => median(t[k][f]).toFixed(0);
  const c = (k) => mean(t[k].cpu).toFixed(0);
  console.log(
    `${rt.name} (${pairs} pairs), before / after: first 200 ${m("before", "first200")} / ${m("after", "first200")} ms; ` +
      `supervisor modules ${m("before", "sup")} / ${m("after", "sup")} ms; worker modules ${m("before", "wrk")} / ${m("after", "wrk")} ms; ` +
      `CPU to first 200 ${c("before")} / ${c("after")} ms`,
  );
}
killAll();
