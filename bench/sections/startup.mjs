// 7. Start-up and memory beside the raw server, measured in one run per runtime (alternating: raw,
// pounce 1 worker, pounce 2 workers, then the reverse order, …, fresh processes, a poll every 5 ms):
// spawn → first 200, where pounce's time goes (POUNCE_TRACE_STARTUP=1, src/startup-trace.ts), the
// supervisor's RSS one second after ready (beside an idle process of the same runtime that imports
// the node: builtins the supervisor needs: the runtime's floor), each worker's RSS beside the raw
// server's.
import { resolve } from "node:path";
import { childrenOf, Proc, rssKb, sleep } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, ROOT, Server } from "../lib/targets.mjs";
import { scratch } from "./deploy-lib.mjs";

const TRACE = /pounce-trace (\S+) ([\d.]+)/;
/** The steps a trace prints, in order (src/startup-trace.ts; s- the supervisor, w- the first worker). */
export const STEPS = [
  ["s-origin", "runtime starts the supervisor"],
  ["s-bin", "bin/pounce.mjs runs"],
  ["s-cli-loaded", "pounce's CLI modules loaded"],
  ["s-config", "configuration read"],
  ["s-adapter", "adapter loaded"],
  ["s-worker_spawned", "spawn() returned"],
  ["w-origin", "runtime starts the worker"],
  ["w-main", "worker modules loaded"],
  ["w-app-imported", "app imported"],
  ["w-listening", "listening"],
  ["s-worker_ready", "supervisor told ready"],
];

export function estimate(cfg) {
  return (cfg.startRounds + 1) * 3 * 0.6 + 8;
}

/** The runtime's idle floor: a process importing what the supervisor imports from the runtime. */
async function floorRss(rt) {
  const dir = scratch(`floor-${rt.name}`);
  const file = resolve(dir, "floor.mjs");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    file,
    'import "node:fs"; import "node:net"; import "node:path"; import "node:child_process";\nsetTimeout(() => {}, 30_000);\n',
  );
  const argv = rt.kind === "deno" ? [rt.exe, "run", "-A", file] : [rt.exe, file];
  const p = new Proc(`${rt.name} floor`, argv, { cwd: ROOT });
  await sleep(1_500);
  const kb = rssKb(p.pid);
  await p.stop();
  return kb;
}

export async function startup(rt, cfg) {
  const c = contenders(rt);
  const specs = {
    raw: c.raw(),
    pounce1: { ...c.pounce(1), env: { POUNCE_TRACE_STARTUP: "1" } },
    pounce2: { ...c.pounce(2), env: { POUNCE_TRACE_STARTUP: "1" } },
  };
  const times = { raw: [], pounce1: [], pounce2: [] };
  const traces = { pounce1: {}, pounce2: {} };
  const rss = { raw: [], supervisor: [], workers: [] };
  const commands = {};
  // One start of each first, not counted: the first start after a build fills Deno's code cache
  // (DENO_DIR) and the page cache — what made 1 worker look slower than 2 when the throughput
  // section's first start (pounce 1 worker) was read as its start-up time.
  for (const [key, spec] of Object.entries(specs)) {
    step(`${rt.name}: start-up warm-up ${key}`, 0.6);
    await (await Server.start(spec, { name: `${rt.name} ${key} warm-up` })).stop();
  }
  for (let r = 0; r < cfg.startRounds; r++) {
    const keys = Object.keys(specs);
    for (const key of r % 2 ? keys.reverse() : keys) {
      step(`${rt.name}: start-up round ${r + 1}/${cfg.startRounds} ${key}`, 0.6);
      const s = await Server.start(specs[key], { name: `${rt.name} ${key}` });
      commands[key] = `${key === "raw" ? "" : "POUNCE_TRACE_STARTUP=1 "}${s.command().replace(/--port \d+/, "--port P")}`;
      times[key].push(s.first200);
      if (r < 2 && key !== "pounce1") {
        await sleep(1_000); // RSS one second after ready: start-up garbage collected
        if (key === "raw") rss.raw.push(rssKb(s.proc.pid));
        else {
          rss.supervisor.push(rssKb(s.proc.pid));
          for (const pid of childrenOf(s.proc.pid)) rss.workers.push(rssKb(pid));
        }
      } else await sleep(20); // the last trace lines
      if (traces[key]) {
        for (const line of s.proc.output.split("\n")) {
          const m = TRACE.exec(line);
          if (m) (traces[key][m[1]] ??= []).push(Number(m[2]) - s.proc.spawnedAt);
        }
      }
      await s.stop();
    }
  }
  const med = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, median(v)]));
  return {
    runtime: rt.name,
    kind: rt.kind,
    rounds: cfg.startRounds,
    commands,
    first200: med(times),
    samples: times,
    trace: { pounce1: med(traces.pounce1), pounce2: med(traces.pounce2) },
    rss: { ...med(rss), floor: await floorRss(rt) },
  };
}

/** Targets: ≤ raw + 100 ms on Node, + 30 ms on Bun and Deno; RSS ≤ 40 / 30 MB; worker ≤ raw + 10 %. */
export function startBudgetMs(kind) {
  return kind === "node" ? 100 : 30;
}
export function supervisorBudgetKb(kind) {
  return (kind === "node" ? 40 : 30) * 1024;
}

export function reportLines(list) {
  const L = ["## 7. Start-up and memory, beside the raw server", ""];
  L.push(
    "Fresh processes in alternating order (raw, pounce 1 worker, pounce 2 workers, then reversed), a poll every 5 ms from spawn; medians, after one uncounted start of each (the first start after a build fills Deno's code cache). The hello app is `bench/servers/hello.mjs`. RSS one second after ready; the floor is an idle process of the same runtime importing node:fs, node:net, node:path and node:child_process (what any supervisor needs).",
    "",
    "| runtime | raw | pounce 1 worker | pounce 2 workers | supervisor RSS | runtime floor | worker RSS | raw server RSS |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "–");
  const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : "–");
  for (const s of list) {
    const f = s.first200;
    L.push(
      `| ${s.runtime} | ${ms(f.raw)} | ${ms(f.pounce1)} (+${ms(f.pounce1 - f.raw)}) | ${ms(f.pounce2)} (+${ms(f.pounce2 - f.raw)}) | ${mb(s.rss.supervisor)} | ${mb(s.rss.floor)} | ${mb(s.rss.workers)} | ${mb(s.rss.raw)} |`,
    );
  }
  L.push("", "Where pounce's time goes (1 worker, ms after spawn, medians of the traced starts):", "");
  L.push(`| step | ${list.map((s) => s.runtime).join(" | ")} |`, `|---|${list.map(() => "---:").join("|")}|`);
  for (const [key, what] of STEPS) L.push(`| ${what} (\`${key}\`) | ${list.map((s) => ms(s.trace.pounce1[key])).join(" | ")} |`);
  L.push("", "Commands:", "");
  for (const s of list) for (const [k, cmd] of Object.entries(s.commands)) L.push(`- ${s.runtime} ${k}: \`${cmd}\``);
  L.push("");
  return L;
}
