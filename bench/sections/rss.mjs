// 5. Supervisor RSS across many reloads (2 workers, no load): the slope in KB per reload.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { now, rssKb, sleep, warmWaiting } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { slope } from "../lib/stats.mjs";
import { contenders, Server } from "../lib/targets.mjs";
import { scratch, writeApp } from "./deploy-lib.mjs";

export function estimate(cfg) {
  return 2 + cfg.rssReloads * 0.9;
}

export async function rssAcrossReloads(rt, cfg) {
  const dir = scratch(`rss-${rt.name}`);
  const s = await Server.start(contenders(rt).pounce(2, writeApp(dir, "v0")), { name: `${rt.name} pounce rss` });
  const samples = [[0, rssKb(s.proc.pid)]];
  try {
    for (let i = 1; i <= cfg.rssReloads; i++) {
      step(`supervisor RSS: ${rt.name} reload ${i}/${cfg.rssReloads}`, 0.9);
      writeApp(dir, `v${i}`);
      const t = now();
      s.proc.signal("SIGHUP");
      await s.proc.waitLine("Graceful reload complete", { since: t, timeoutMs: 60_000 });
      await sleep(50);
      samples.push([i, rssKb(s.proc.pid)]);
    }
  } finally {
    await s.stop();
  }
  // the first reloads warm up lazily-loaded code; the slope over the second half shows a leak
  const half = samples.slice(Math.floor(samples.length / 2));
  return {
    runtime: rt.name,
    reloads: cfg.rssReloads,
    command: s.command(),
    samples,
    first: samples[0][1],
    last: samples.at(-1)[1],
    slope: slope(
      samples.map((x) => x[0]),
      samples.map((x) => x[1]),
    ),
    slopeSecondHalf: slope(
      half.map((x) => x[0]),
      half.map((x) => x[1]),
    ),
  };
}

/**
 * What --warm-workers costs in memory: 2 workers and 2 warm workers, a TypeScript hello app, no load.
 * 1 s after both warm workers wait: each one's VmRSS beside each serving worker's (the state file
 * gives the pids); then once more after a reload, when the serving workers are the former warm ones.
 */
export async function warmWorkerRss(rt, warm = 2) {
  const dir = scratch(`warm-rss-${rt.name}`);
  const pidFile = resolve(dir, "pounce.pid");
  const app = (v) => {
    const file = resolve(dir, "app.ts");
    writeFileSync(
      file,
      `const V: string = ${JSON.stringify(v)};\nexport default { fetch: (_r: Request): Response => new Response(V) };\n`,
    );
    return file;
  };
  const s = await Server.start(contenders(rt).pounce(2, app("v0"), ["--warm-workers", String(warm), "--pid-file", pidFile]), {
    name: `${rt.name} pounce warm rss`,
  });
  const read = () => JSON.parse(readFileSync(`${pidFile}.state.json`, "utf8"));
  const settled = async () => {
    await warmWaiting(`${pidFile}.state.json`, warm);
    await sleep(1_000);
    return read();
  };
  const kb = (list) => list.map((w) => rssKb(w.pid)).filter((x) => x !== null);
  try {
    step(`warm worker RSS: ${rt.name}`, 4);
    const before = await settled();
    const warmKb = kb(before.warm_workers ?? []);
    const servingKb = kb(before.workers);
    const t = now();
    app("v1");
    s.proc.signal("SIGHUP");
    await s.proc.waitLine("Graceful reload complete", { since: t, timeoutMs: 30_000 });
    const after = await settled();
    return {
      runtime: rt.name,
      command: s
        .command()
        .replace(/--port \d+/, "--port P")
        .replace(/--pid-file \S+/, "--pid-file F"),
      warm: warmKb,
      serving: servingKb,
      servingAfterReload: kb(after.workers),
    };
  } finally {
    await s.stop();
  }
}
