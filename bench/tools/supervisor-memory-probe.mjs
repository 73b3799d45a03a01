// Run pounce with a memory probe in its supervisor: on SIGUSR2 (which the supervisor does not use)
// it collects garbage where the runtime lets it (Node/Deno with --expose-gc, Bun.gc), then writes
// the JS heap figures, with the counts a per-worker leak would raise by one each reload (listeners
// on `process` and, on Node, on `cluster`; cluster's worker table; active handles where the runtime
// lists them), as one JSON object to $POUNCE_MEMORY_PROBE_OUT (`.tmp` then renamed, so a
// reader never sees half a file). Used by test/_soak.ts (`probe: true`); not part of the package.
//   <runtime> [--expose-gc] bench/tools/supervisor-memory-probe.mjs <pounce args…>
import { renameSync, writeFileSync } from "node:fs";

const out = globalThis.Deno ? globalThis.Deno.env.get("POUNCE_MEMORY_PROBE_OUT") : process.env.POUNCE_MEMORY_PROBE_OUT;
const jsc = globalThis.Bun ? await import("bun:jsc") : undefined;

function heap() {
  const before = (globalThis.Deno ? globalThis.Deno.memoryUsage() : process.memoryUsage()).heapUsed;
  return { heapUsedBeforeGc: before, ...collected() };
}

function collected() {
  if (globalThis.Bun) {
    globalThis.Bun.gc(true);
    const m = process.memoryUsage();
    const s = jsc.heapStats();
    return {
      gc: true,
      heapUsed: s.heapSize,
      heapCapacity: s.heapCapacity,
      extraMemory: s.extraMemorySize,
      external: m.external,
      objects: s.objectCount,
    };
  }
  const gc = typeof globalThis.gc === "function";
  if (gc) globalThis.gc();
  const m = globalThis.Deno ? globalThis.Deno.memoryUsage() : process.memoryUsage();
  // V8's spaces as committed (what RSS sees of the JS heap, garbage and free pages included).
  const spaces = v8 ? Object.fromEntries(v8.getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size])) : undefined;
  return { gc, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
}

const v8 = globalThis.Bun ? undefined : await import("node:v8");

const cluster = !globalThis.Bun && !globalThis.Deno ? (await import("node:cluster")).default : undefined;

function counts() {
  const listeners = (e) => e.eventNames().reduce((sum, name) => sum + e.listenerCount(name), 0);
  return {
    processListeners: listeners(process),
    ...(cluster ? { clusterListeners: listeners(cluster), clusterWorkers: Object.keys(cluster.workers ?? {}).length } : {}),
    resources: process.getActiveResourcesInfo?.().length,
  };
}

let n = 0;
const report = () => {
  const file = `${out}.tmp`;
  writeFileSync(file, JSON.stringify({ n: ++n, ...heap(), ...counts() }));
  renameSync(file, out);
};
if (globalThis.Deno) globalThis.Deno.addSignalListener("SIGUSR2", report);
else process.on("SIGUSR2", report);

await import("../../bin/pounce.mjs");
