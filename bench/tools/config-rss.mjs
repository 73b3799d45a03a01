// What a config file costs the supervisor: its RSS once ready without and with a pounce.config.ts
// (jiti, which loads it, then lives in the supervisor), the RSS after N reloads that each read the
// file again, the time from SIGHUP to "Read configuration from" (the read itself), and spawn to first
// 200 without and with the file (median of 5 starts: the first read, which loads jiti, is part of
// start-up).
//   node bench/tools/config-rss.mjs [N=20] [runtimes=node20,node24,bun,deno]
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { killAll, now, rssKb, sleep } from "../lib/proc.mjs";
import { quantile } from "../lib/stats.mjs";
import { contenders, missing, RUNTIMES, Server } from "../lib/targets.mjs";
import { scratch, writeApp } from "../sections/deploy-lib.mjs";

const N = Number(process.argv[2] ?? 20);
const wanted = (process.argv[3] ?? "node20,node24,bun,deno").split(",");

/** Median of `n` starts, spawn to first 200 (one start is too noisy on a shared machine). */
async function startup(spec, name, n = 5) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const s = await Server.start(spec, { name });
    times.push(s.first200);
    await s.stop();
  }
  return quantile(
    times.sort((a, b) => a - b),
    0.5,
  );
}

async function settledRss(pid) {
  await sleep(1_000); // let start-up garbage be collected before reading RSS
  return rssKb(pid);
}

try {
  console.log(
    `| runtime | supervisor RSS, no config file | with pounce.config.ts | after ${N} reloads reading it | SIGHUP → file read (median, max) | spawn → first 200, without / with |`,
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const rt of RUNTIMES.filter((r) => wanted.includes(r.name))) {
    if (missing(rt)) {
      console.log(`| ${rt.name} | not available (${missing(rt)}) | | | | |`);
      continue;
    }
    const dir = scratch(`config-rss-${rt.name}-${Date.now()}`);
    const app = writeApp(dir, "v0");
    const config = resolve(dir, "pounce.config.ts");
    writeFileSync(config, 'import { defineConfig } from "pounce";\nexport default defineConfig({ reloadStagger: 0 });\n');
    const bootWithout = await startup(contenders(rt).pounce(2, app), `${rt.name} pounce`);
    const bootWith = await startup(contenders(rt).pounce(2, app, ["--config", config]), `${rt.name} pounce --config`);
    const plain = await Server.start(contenders(rt).pounce(2, app), { name: `${rt.name} pounce` });
    const without = await settledRss(plain.proc.pid);
    await plain.stop();
    const s = await Server.start(contenders(rt).pounce(2, app, ["--config", config]), { name: `${rt.name} pounce --config` });
    const withFile = await settledRss(s.proc.pid);
    const reads = [];
    try {
      for (let i = 1; i <= N; i++) {
        writeFileSync(
          config,
          `import { defineConfig } from "pounce";\nexport default defineConfig({ reloadStagger: 0, requestTimeout: ${i} });\n`,
        );
        await sleep(1_100); // past the reload cooldown, so the time below is the read's alone
        const t = now();
        s.proc.signal("SIGHUP");
        const at = await s.proc.waitLine("Read configuration from", { since: t, timeoutMs: 30_000 });
        reads.push(at - t);
        await s.proc.waitLine("Graceful reload complete", { since: t, timeoutMs: 60_000 });
      }
      const after = await settledRss(s.proc.pid);
      const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
      const ms = (x) => `${x.toFixed(0)} ms`;
      console.log(
        `| ${rt.name} | ${mb(without)} | ${mb(withFile)} (+${mb(withFile - without)}) | ${mb(after)} | ${ms(
          quantile(
            [...reads].sort((a, b) => a - b),
            0.5,
          ),
        )}, ${ms(Math.max(...reads))} | ${ms(bootWithout)} / ${ms(bootWith)} |`,
      );
    } finally {
      await s.stop();
    }
  }
} finally {
  killAll();
}
