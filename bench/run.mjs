#!/usr/bin/env node
// `npm run bench [-- --quick] [--runtimes node24,bun] [--only throughput,websocket,startup,reload-speed,deploy,growth,rss,watch]`: pounce vs the servers operators would use
// instead, on every installed runtime, on 127.0.0.1. Writes bench/results/<date>[-quick].md + SVGs.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureWrk } from "./lib/load.mjs";
import { killAll } from "./lib/proc.mjs";
import { done, note, plan, step } from "./lib/progress.mjs";
import { report } from "./lib/report.mjs";
import { barChart, p99Chart } from "./lib/svg.mjs";
import { missing, ROOT, RUNTIMES, TMP } from "./lib/targets.mjs";
import * as deployS from "./sections/deploy.mjs";
import * as growthS from "./sections/growth.mjs";
import * as httpsS from "./sections/https.mjs";
import * as reloadRssS from "./sections/reload-rss.mjs";
import * as speedS from "./sections/reload-speed.mjs";
import * as rssS from "./sections/rss.mjs";
import * as startS from "./sections/startup.mjs";
import * as tputS from "./sections/throughput.mjs";
import * as watchS from "./sections/watch.mjs";
import * as wsS from "./sections/websocket.mjs";

const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, runtimes: { type: "string" }, only: { type: "string" } },
});
const cfg = args.quick
  ? {
      mode: "quick",
      // about a minute: the target pair (pounce 1 worker vs the raw server) on every runtime, then
      // pounce's deploy cost and supervisor RSS on one runtime; growth and the peers in full runs only
      warmup: 1,
      seconds: 1,
      rounds: 2,
      contenders: ["pounce1", "raw"],
      steady: 2,
      reloads: 2,
      gap: 1.5,
      pm2: false,
      naive: false,
      growthReloads: 1,
      rssReloads: 10,
      batchRounds: 1,
      watchSaves: 3,
      startRounds: 4,
      speedReloads: 2,
    }
  : {
      mode: "full",
      warmup: 2,
      seconds: 3,
      rounds: 6,
      steady: 5,
      reloads: 5,
      gap: 3,
      pm2: true,
      naive: true,
      growthReloads: 3,
      rssReloads: 200,
      batchRounds: 3,
      watchSaves: 10,
      startRounds: 10,
      speedReloads: 5,
    };

// --only throughput,deploy,growth,rss,reload-rss,watch,https runs a subset (the report then holds only those sections)
const full = args.quick ? [] : ["growth", "reload-rss"];
const only = new Set(
  args.only?.split(",") ?? ["throughput", "websocket", "startup", "reload-speed", "deploy", ...full, "rss", "watch", "https"],
);

function sh(cmd, argv) {
  try {
    return execFileSync(cmd, argv, { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return null;
  }
}

async function main() {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const started = new Date();
  const setup = [ensureWrk()];
  if (!sh(RUNTIMES[1].exe, ["--version"])) {
    note("setting up Node 24 (scripts/setup-node24.sh)…");
    sh("bash", [resolve(ROOT, "scripts/setup-node24.sh")]);
    setup.push("Node 24 installed with scripts/setup-node24.sh");
  }
  const wanted = args.runtimes?.split(",") ?? RUNTIMES.map((r) => r.name);
  const runtimes = [];
  const skipped = [];
  for (const rt of RUNTIMES.filter((r) => wanted.includes(r.name))) {
    const why = missing(rt);
    if (why) skipped.push(`${rt.name}: ${why}`);
    else runtimes.push({ ...rt, version: sh(rt.exe, ["--version"])?.split("\n")[0] ?? "?" });
  }
  // deploy, growth and RSS run on every runtime in full mode, on node24 (or the first) in quick mode
  const deep = cfg.mode === "quick" ? [runtimes.find((r) => r.name === "node24") ?? runtimes[0]].filter(Boolean) : runtimes;
  plan(runtimes.length * ((only.has("throughput") ? tputS.estimate(cfg) : 8) + (only.has("https") ? httpsS.estimate(cfg) : 0)));
  plan(
    runtimes.length * ((only.has("startup") ? startS.estimate(cfg) : 0) + (only.has("reload-speed") ? speedS.estimate(cfg) : 0)),
  );
  if (only.has("websocket")) plan(runtimes.length * wsS.estimate(cfg));
  const perDeep =
    (only.has("deploy") ? deployS.estimate(cfg) : 0) +
    (only.has("growth") ? growthS.estimate(cfg) : 0) +
    (only.has("rss") ? rssS.estimate(cfg) : 0) +
    (only.has("reload-rss") ? reloadRssS.estimate(cfg) : 0) +
    (only.has("watch") ? watchS.estimate(cfg) : 0);
  plan(deep.length * perDeep);

  const res = {
    argv: process.argv.slice(2),
    cfg,
    started,
    setup,
    skipped,
    machine: machine(),
    runtimes,
    throughput: [],
    deploy: [],
    growth: [],
    rss: [],
    warmRss: [],
    reloadRss: [],
    watch: [],
    startup: [],
    speed: [],
    https: [],
    websocket: [],
    notAvailable: [],
  };
  // without the throughput rounds, one short wrk run of pounce (2 workers) gives the deploy rate
  const tcfg = only.has("throughput") ? cfg : { ...cfg, warmup: 1, seconds: 3, rounds: 1, contenders: ["pounce1", "pounce2"] };
  // (neither needed when only start-up, reload speed, HTTPS or the watcher are measured)
  const needRate = ["throughput", "deploy", "growth", "rss", "reload-rss"].some((s) => only.has(s));
  if (needRate) for (const rt of runtimes) res.throughput.push(await tputS.throughput(rt, tcfg));
  if (only.has("https")) for (const rt of runtimes) res.https.push(await httpsS.httpsThroughput(rt, cfg));
  if (!only.has("throughput")) res.capacityOnly = res.throughput.splice(0);
  if (only.has("websocket")) for (const rt of runtimes) res.websocket.push(await wsS.websocketEcho(rt, cfg));
  for (const t of res.throughput) {
    for (const row of Object.values(t.rows))
      if (row.unavailable) note(`${row.label.replace(/ \d+w$/, "")} on ${t.runtime}: not available (${row.unavailable})`);
  }
  // start-up, memory and SIGHUP → new code: every runtime, each beside its raw server / gunicorn
  for (const rt of runtimes) if (only.has("startup")) res.startup.push(await startS.startup(rt, cfg));
  if (only.has("reload-speed")) {
    for (const rt of runtimes) {
      res.speed.push({ ...(await speedS.reloadSpeed(rt, cfg)), runtime: rt.name });
      res.speed.push({ ...(await speedS.reloadSpeed(rt, cfg, 2)), runtime: rt.name });
    }
    res.speed.push(await speedS.gunicornSpeed(cfg));
  }
  // what --warm-workers costs in memory, every runtime
  if (only.has("rss")) for (const rt of runtimes) res.warmRss.push(await rssS.warmWorkerRss(rt));
  for (const rt of deep) {
    const t = [...res.throughput, ...(res.capacityOnly ?? [])].find((x) => x.runtime === rt.name);
    if (!t) {
      if (only.has("watch")) res.watch.push(await watchS.saveToNewCode(rt, cfg));
      continue;
    }
    const why = t.rows.pounce2?.unavailable ?? t.rows.pounce1.unavailable;
    if (why) {
      res.notAvailable.push({ runtime: rt.name, why });
      continue;
    }
    // the deploy rate follows pounce's capacity (2 workers; quick mode measures 1 only)
    if (only.has("deploy")) res.deploy.push(await deployS.deploy(rt, cfg, (t.rows.pounce2 ?? t.rows.pounce1).rps));
    if (only.has("growth")) res.growth.push(await growthS.growth(rt, cfg));
    if (only.has("rss")) res.rss.push(await rssS.rssAcrossReloads(rt, cfg));
    if (only.has("reload-rss")) res.reloadRss.push(await reloadRssS.reloadRss(rt, cfg));
    if (only.has("watch")) res.watch.push(await watchS.saveToNewCode(rt, cfg));
  }
  step("writing the report", 0);
  res.finished = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(/[:T]/g, "-");
  const base = `${stamp}${cfg.mode === "quick" ? "-quick" : ""}${args.only ? `-${[...only].join("-")}` : ""}`;
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const tputSvg = barChart(
    `Throughput, hello world, keep-alive (wrk -t1 -c${tputS.CONNS}), ${os.cpus().length} cores — ${started.toISOString().slice(0, 10)}`,
    res.throughput.map((t) => ({
      name: t.runtime,
      bars: ["pounce1", "raw", "srvx", "pounce2", "multi"]
        .filter((k) => t.rows[k])
        .map((k) => ({
          label:
            k === "raw"
              ? "raw runtime server"
              : k === "multi"
                ? "runtime's own 2-process option"
                : t.rows[k].label.replace(/ 1w$/, " 1 worker").replace(/ 2w$/, " 2 workers"),
          value: t.rows[k].unavailable ? NaN : t.rows[k].rps,
        })),
    })),
    "req/s",
  );
  const p99Svg = p99Chart(
    `p99 latency over time across ${cfg.reloads} deploys and a shutdown (open loop) — ${res.deploy[0]?.runtime ?? ""}`,
    (res.deploy[0]?.results ?? [])
      .filter((r) => !r.unavailable)
      .map((r) => ({ name: r.name, points: r.series, marks: r.marks, term: r.termAt })),
  );
  if (res.throughput.length) writeFileSync(resolve(dir, `${base}-throughput.svg`), tputSvg);
  if (res.deploy.length) writeFileSync(resolve(dir, `${base}-p99.svg`), p99Svg);
  writeFileSync(resolve(dir, `${base}.md`), report(res, base));
  writeFileSync(
    resolve(dir, `${base}.json`),
    JSON.stringify(res, (k, v) => (k === "series" || k === "samples" ? undefined : v), 1),
  );
  done();
  console.log(
    `bench: wrote bench/results/${base}.md (+ -throughput.svg, -p99.svg, .json) in ${Math.round((res.finished - started) / 1000)} s`,
  );
}

function machine() {
  const cpus = os.cpus();
  let migrate = "n/a";
  try {
    migrate = readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim();
  } catch {}
  return {
    cpus: `${cpus.length} × ${cpus[0]?.model.trim()}`,
    mem: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    migrate,
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
    wrk: sh("sh", ["-c", "wrk --version 2>&1 | head -1"]) ?? "absent",
  };
}

try {
  await main();
} catch (err) {
  done();
  console.error(`bench: failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  killAll();
}
process.exit();
