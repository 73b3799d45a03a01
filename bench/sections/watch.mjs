// 6. --reload: save-to-new-code latency — from the write of the entry file to the first response of
// the new code (fresh connection per poll, every 5 ms), and how much of it is the watcher (save →
// the "Change in …" line: fs event + debounce). 1 worker, no load.
import { get, now, sleep } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, Server } from "../lib/targets.mjs";
import { scratch, writeApp } from "./deploy-lib.mjs";

/** The supervisor starts at most one reload a second: each save waits that out, so none queues. */
const COOLDOWN_MS = 1_100;

export function estimate(cfg) {
  return 3 + cfg.watchSaves * 1.8;
}

export async function saveToNewCode(rt, cfg) {
  const dir = scratch(`watch-${rt.name}`);
  const app = writeApp(dir, "v0");
  const s = await Server.start(contenders(rt).pounce(1, app, ["--reload"]), { name: `${rt.name} pounce --reload` });
  const total = [];
  const detect = [];
  try {
    await s.proc.waitLine("Watching");
    for (let i = 1; i <= cfg.watchSaves; i++) {
      step(`save-to-new-code: ${rt.name} save ${i}/${cfg.watchSaves}`, 1.8);
      const since = now();
      writeApp(dir, `v${i}`);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await get(s.url(), 2000).catch(() => undefined);
        if (r?.body === `v${i}`) break;
        if (Date.now() > deadline) throw new Error(`${rt.name}: v${i} not served within 30 s: ${s.proc.tail()}`);
        await sleep(5);
      }
      total.push(now() - since);
      detect.push((await s.proc.waitLine("Change in", { since })) - since);
      await s.proc.waitLine("Graceful reload complete", { since });
      await sleep(COOLDOWN_MS);
    }
  } finally {
    await s.stop();
  }
  return {
    runtime: rt.name,
    command: s.command(),
    saves: cfg.watchSaves,
    total,
    detect,
    median: median(total),
    min: Math.min(...total),
    max: Math.max(...total),
    detectMedian: median(detect),
  };
}

/** The report's section (bench/lib/report.mjs calls it). */
export function reportLines(rows) {
  const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "–");
  const L = ["## 6. Save to new code (`--reload`)", ""];
  L.push(
    "| runtime | saves | median | min | max | of which save → reload starts (fs event + debounce) |",
    "|---|---:|---:|---:|---:|---:|",
  );
  for (const r of rows)
    L.push(`| ${r.runtime} | ${r.saves} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.max)} | ${ms(r.detectMedian)} |`);
  L.push(
    "",
    "From `writeFileSync` of the entry to the first 200 with the new body; the rest after the reload starts is the new",
    "worker's start-up (a process and the import) — the old one drains in the background.",
    "",
  );
  for (const r of rows)
    L.push(
      `- ${r.runtime}: \`${r.command.replace(/--port \d+/, "--port P")}\`; samples ${r.total.map((x) => Math.round(x)).join(", ")} ms`,
    );
  L.push("");
  return L;
}
