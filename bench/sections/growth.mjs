// 4. Cost of growth: throughput and reload time at 1, 2, 4 workers; reload time with 0, 10, 100 slow
// requests in flight (2 workers).
import { load } from "../lib/load.mjs";
import { now, sleep } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, Server } from "../lib/targets.mjs";
import { scratch, slowRequests, writeApp } from "./deploy-lib.mjs";
import { CONNS } from "./throughput.mjs";

export const SLOW_MS = 1000;

export function estimate(cfg) {
  return 3 * (2 + cfg.warmup + cfg.seconds + cfg.growthReloads * 1.2) + 3 * 3;
}

async function reloadOnce(s, dir, version) {
  writeApp(dir, version);
  const t = now();
  s.proc.signal("SIGHUP");
  return (await s.proc.waitLine("Graceful reload complete", { since: t, timeoutMs: 60_000 })) - t;
}

export async function growth(rt, cfg) {
  const out = { runtime: rt.name, workers: [], inflight: [] };
  const dir = scratch(`growth-${rt.name}`);
  let v = 0;
  for (const w of [1, 2, 4]) {
    step(`growth: ${rt.name} ${w} worker(s)`, 2 + cfg.warmup + cfg.seconds + cfg.growthReloads * 1.2);
    const s = await Server.start(contenders(rt).pounce(w, writeApp(dir, `v${v++}`)), { name: `${rt.name} pounce ${w}w` });
    try {
      await load(s.url(), { seconds: cfg.warmup, connections: CONNS });
      const r = await load(s.url(), { seconds: cfg.seconds, connections: CONNS });
      const times = [];
      for (let i = 0; i < cfg.growthReloads; i++) {
        times.push(await reloadOnce(s, dir, `v${v++}`));
        await sleep(200);
      }
      out.workers.push({
        workers: w,
        rps: r.rps,
        p99: r.p99,
        reloadMs: median(times),
        reloads: times.length,
        command: s.command(),
      });
    } finally {
      await s.stop();
    }
  }
  const s = await Server.start(contenders(rt).pounce(2, writeApp(dir, `v${v++}`)), { name: `${rt.name} pounce inflight` });
  try {
    for (const n of [0, 10, 100]) {
      step(`growth: ${rt.name} reload with ${n} in flight`, 3);
      const slow = slowRequests(s.port, n, SLOW_MS);
      await sleep(150);
      const ms = await reloadOnce(s, dir, `v${v++}`);
      const ok = await slow;
      out.inflight.push({ n, reloadMs: ms, ok });
      await sleep(200);
    }
  } finally {
    await s.stop();
  }
  return out;
}
