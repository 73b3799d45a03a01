#!/usr/bin/env node
// `node bench/tools/reload-trace.mjs [runtime=node20] [reloads=3] [ts|mjs] [new|same]`: where the time
// between a SIGHUP and the first response from the new code goes (`same`: the code is not changed, as
// for a replacement or an added worker; "new code" is then the first answer after the signal). A 2-worker pounce serves a hello app whose
// version is bumped before each SIGHUP; a poller on fresh connections (every 5 ms) notes the first
// new-version answer. Printed per reload: that time, the CPU each new worker had used when the reload
// completed (/proc/<pid>/schedstat: unlike wall-clock times, hardly moved by other load on the
// machine), and POUNCE_TRACE_STARTUP's steps (src/startup-trace.ts) in ms after the signal.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { get, killAll, now, sleep } from "../lib/proc.mjs";
import { contenders, RUNTIMES, Server, TMP } from "../lib/targets.mjs";

const rt = RUNTIMES.find((r) => r.name === (process.argv[2] ?? "node20"));
if (!rt) throw new Error(`runtime: one of ${RUNTIMES.map((r) => r.name).join(", ")}`);
const reloads = Number(process.argv[3] ?? 3);
const ext = process.argv[4] ?? "ts";
const same = process.argv[5] === "same";
const dir = resolve(TMP, `reload-trace-${rt.name}`);
mkdirSync(dir, { recursive: true });
const file = resolve(dir, `app.${ext}`);
const write = (v) =>
  writeFileSync(
    file,
    ext === "ts"
      ? `const VERSION: string = ${JSON.stringify(v)};\nexport default { fetch: (_r: Request): Response => new Response(VERSION) };\n`
      : `const VERSION = ${JSON.stringify(v)};\nexport default { fetch: () => new Response(VERSION) };\n`,
  );
const cpuMs = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
};
const TRACE = /^pounce-trace (\S+) ([\d.]+)$/;

write("v0");
const spec = { ...contenders(rt).pounce(2, file, ["--log-level", "debug"]), env: { POUNCE_TRACE_STARTUP: "1" } };
const s = await Server.start(spec, { name: `${rt.name} pounce` });
await sleep(500);
const cpus = [];
for (let i = 1; i <= reloads; i++) {
  const version = same ? "v0" : `v${i}`;
  write(version);
  const mark = s.proc.output.length;
  const t0 = now();
  s.proc.signal("SIGHUP");
  let newCode = Number.NaN;
  for (let n = 0; n < 2_000 && now() - t0 < 10_000; n++) {
    const r = await get(s.url(), 2_000).catch(() => null);
    if (r?.body === version) {
      newCode = now() - t0;
      break;
    }
    await sleep(5);
  }
  await s.proc.waitLine("Graceful reload complete", { since: t0, timeoutMs: 30_000 });
  const out = s.proc.output.slice(mark);
  const cpu = [...out.matchAll(/ready \(pid (\d+)\)/g)].map((m) => cpuMs(Number(m[1])));
  cpus.push(...cpu);
  const steps = out
    .split("\n")
    .map((l) => TRACE.exec(l.trim()))
    .filter(Boolean)
    .map((m) => `${m[1]} ${(Number(m[2]) - t0).toFixed(0)}`);
  console.log(
    `${rt.name} reload ${i}: new code ${newCode.toFixed(0)} ms, new workers' CPU ${cpu.map((c) => c.toFixed(0)).join(" + ")} ms | ${steps.join(", ")}`,
  );
  await sleep(1_200); // past the reload cooldown
}
cpus.sort((a, b) => a - b);
console.log(`${rt.name}: median CPU of a new worker ${cpus[Math.floor(cpus.length / 2)].toFixed(0)} ms (${cpus.length} workers)`);
await s.stop();
killAll();
