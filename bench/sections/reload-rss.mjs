// 6. Peak RSS during a reload of 4 workers, all at once vs --reload-batch 1: the sum of the supervisor's
// and every worker's VmRSS, sampled from /proc every 10 ms from the SIGHUP to "Graceful reload complete".
// Two apps: hello world, and one that holds 64 MB of its own (a worker the size of a real app's).

import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { now, sleep, treeRss } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, Server } from "../lib/targets.mjs";
import { scratch } from "./deploy-lib.mjs";

const WORKERS = 4;
const MODES = [
  { name: "all at once", extra: [] },
  { name: "--reload-batch 1", extra: ["--reload-batch", "1"] },
];
const APPS = [
  { name: "hello", ballastMb: 0 },
  { name: "64 MB app", ballastMb: 64 },
];

export function estimate(cfg) {
  return APPS.length * MODES.length * (2 + cfg.batchRounds * 3);
}

function writeApp(dir, version, ballastMb) {
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, "app.mjs");
  writeFileSync(
    file,
    `// written by the bench: every deploy bumps VERSION; BALLAST is memory the app keeps (touched, so resident)
const VERSION = ${JSON.stringify(version)};
const BALLAST = new Uint8Array(${ballastMb} * 1024 * 1024).fill(1);
export default { fetch: () => new Response(VERSION + BALLAST[0]) };
`,
  );
  return file;
}

const total = (t) => (t.main ?? 0) + t.children.reduce((a, c) => a + c.rss, 0);

export async function reloadRss(rt, cfg) {
  const rows = [];
  for (const app of APPS) {
    for (const mode of MODES) {
      const dir = scratch(`reload-rss-${rt.name}-${app.ballastMb}-${mode.extra.length}`);
      const s = await Server.start(contenders(rt).pounce(WORKERS, writeApp(dir, "v0", app.ballastMb), mode.extra), {
        name: `${rt.name} pounce ${mode.name}`,
      });
      const peaks = [];
      const steady = [];
      const durations = [];
      const most = [];
      try {
        await sleep(500); // let the workers settle after start-up before the steady sample
        for (let i = 1; i <= cfg.batchRounds; i++) {
          step(`reload RSS: ${rt.name} ${app.name}, ${mode.name}, reload ${i}/${cfg.batchRounds}`, 3);
          steady.push(total(treeRss(s.proc.pid)));
          writeApp(dir, `v${i}`, app.ballastMb);
          let peak = 0;
          let procs = 0;
          const timer = setInterval(() => {
            const t = treeRss(s.proc.pid);
            peak = Math.max(peak, total(t));
            procs = Math.max(procs, t.children.length);
          }, 10);
          const t0 = now();
          s.proc.signal("SIGHUP");
          await s.proc.waitLine("Graceful reload complete", { since: t0, timeoutMs: 120_000 });
          durations.push(now() - t0);
          clearInterval(timer);
          peaks.push(peak);
          most.push(procs);
          await sleep(1_100); // past the 1 s reload cooldown, so every reload starts at once
        }
      } finally {
        await s.stop();
      }
      rows.push({
        app: app.name,
        mode: mode.name,
        command: s.command(),
        steadyKb: median(steady),
        peakKb: median(peaks),
        peaksKb: peaks,
        mostWorkers: Math.max(...most),
        reloadMs: median(durations),
      });
    }
  }
  return { runtime: rt.name, workers: WORKERS, rows };
}
