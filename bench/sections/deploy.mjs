// 2. Deploy cost: an open-loop client at a fixed rate (about half the measured capacity) while the
// server is redeployed 5 times, then stopped with slow requests in flight. pounce (SIGHUP, SIGTERM)
// beside PM2 cluster mode (`pm2 reload`, `pm2 stop`) and a naive kill-and-restart of the raw server.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { freePort, now, Proc, sleep, waitFor200 } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { contenders, ROOT, Server } from "../lib/targets.mjs";
import { failures, firstServing, OpenLoop, p99, p99Series, scratch, slowRequests, within, writeApp } from "./deploy-lib.mjs";

const SLOW = 10; // slow requests in flight at shutdown
const SLOW_MS = 1000;

export function estimate(cfg) {
  return (1 + (cfg.pm2 ? 1 : 0) + (cfg.naive ? 1 : 0)) * (cfg.steady + cfg.reloads * cfg.gap + 4);
}

/** Drive one contender: start(app) → {port, stop}; deploy(i) → complete time; shutdown() → exit time. */
async function drive(name, ctl, cfg, rate) {
  const dir = scratch(`deploy-${name.replace(/\W+/g, "-")}`);
  const app = writeApp(dir, "v0");
  const srv = await ctl.start(app);
  const ol = new OpenLoop(srv.port, { rate, closeRate: Math.max(10, Math.round(rate * 0.02)), name: name.replace(/\W+/g, "-") });
  const out = { name, rate, command: ctl.command?.(), client: ol.command(), reloads: [] };
  try {
    await sleep(cfg.steady * 1000);
    for (let i = 1; i <= cfg.reloads; i++) {
      step(`deploy: ${name} reload ${i}/${cfg.reloads}`, cfg.gap);
      writeApp(dir, `v${i}`);
      const t = now();
      const tDone = await ctl.deploy(t);
      out.reloads.push({ version: `v${i}`, t, tDone });
      await sleep(Math.max(300, cfg.gap * 1000 - (now() - t)));
    }
    step(`deploy: ${name} shutdown`, 3);
    const tShutdownPhase = now();
    const slow = slowRequests(srv.port, SLOW, SLOW_MS);
    await sleep(200);
    const tTerm = now();
    const tExit = await ctl.shutdown();
    out.slowOk = await slow;
    out.shutdownMs = tExit - tTerm;
    const recs = await ol.finish();
    const t0 = ol.startedAt;
    const firstHup = out.reloads[0]?.t ?? tTerm;
    // steady: after the first 1.5 s (JIT warm-up of a fresh server) up to the first deploy
    out.steadyP99 = p99(within(recs, t0 + 1500, firstHup));
    // the same server's own first second: what a cold (not yet JIT-compiled) process costs
    out.coldP99 = p99(within(recs, t0, t0 + 1000));
    // the client's own lag (sent − scheduled) in the steady window: when it is large the client was
    // starved of CPU, and latencies above include that
    const lag = within(recs, t0 + 1500, firstHup)
      .filter((r) => r.sent > 0)
      .map((r) => r.sent - r.sched)
      .sort((a, b) => a - b);
    out.clientLagP99 = lag[Math.max(0, Math.ceil(lag.length * 0.99) - 1)];
    for (const r of out.reloads) {
      const win = within(recs, r.t, r.t + 1000);
      r.p99 = p99(win);
      r.n = win.length;
      r.newCodeMs = firstServing(recs, r.version, r.t);
      r.completeMs = r.tDone - r.t;
    }
    // A failure belongs to the phase in which it was observed: a request stuck since a reload and
    // reset at SIGTERM is a shutdown failure. Requests still queued in the client (never sent: no
    // socket could take them) are counted apart.
    const sentRecs = recs.filter((r) => r.result !== "unsent");
    const reloadPhase = sentRecs.filter((r) => r.done < tShutdownPhase);
    const termPhase = sentRecs.filter((r) => r.done >= tShutdownPhase && r.sent < tTerm);
    const after = recs.filter((r) => r.sched >= tTerm);
    out.requests = reloadPhase.length;
    out.failed = failures(reloadPhase);
    out.termSent = termPhase.length;
    out.termFailed = failures(termPhase);
    out.termUnsent = recs.filter((r) => r.result === "unsent" && r.sched < tTerm).length;
    out.stuckAtTerm = termPhase.filter((r) => !r.ok && tTerm - r.sent > 1000).length;
    out.afterTerm = { total: after.length, ok: after.filter((r) => r.ok).length };
    out.series = p99Series(recs, t0);
    out.marks = out.reloads.map((r) => (r.t - t0) / 1000);
    out.termAt = (tTerm - t0) / 1000;
    return out;
  } finally {
    ol.proc.kill();
    await ctl.cleanup();
  }
}

function pounceCtl(rt) {
  let s;
  return {
    async start(app) {
      s = await Server.start(contenders(rt).pounce(2, app), { name: `${rt.name} pounce deploy` });
      return s;
    },
    command: () => s?.command(),
    async deploy(t) {
      s.proc.signal("SIGHUP");
      return s.proc.waitLine("Graceful reload complete", { since: t, timeoutMs: 60_000 });
    },
    async shutdown() {
      s.proc.signal("SIGTERM");
      const e = await Promise.race([s.proc.exited, sleep(30_000).then(() => ({ at: NaN }))]);
      return e.at;
    },
    cleanup: () => s?.stop(),
  };
}

function naiveCtl(rt) {
  let proc;
  let port;
  let app;
  const spec = () => contenders(rt).raw(app);
  const spawnOne = () => {
    proc = new Proc(`${rt.name} naive`, spec().argv(port), { cwd: ROOT, env: { PORT: String(port), ...spec().env } });
    return waitFor200(`http://127.0.0.1:${port}/`, proc, 30_000);
  };
  return {
    async start(file) {
      app = file;
      port = await freePort();
      await spawnOne();
      return { port };
    },
    command: () => `${proc.argv.map((a) => a.replace(`${ROOT}/`, "")).join(" ")}; reload = kill -TERM, then start again`,
    async deploy() {
      proc.signal("SIGTERM");
      await Promise.race([proc.exited, sleep(10_000)]);
      proc.kill();
      return spawnOne();
    },
    async shutdown() {
      proc.signal("SIGTERM");
      const e = await Promise.race([proc.exited, sleep(30_000).then(() => ({ at: NaN }))]);
      return e.at;
    },
    cleanup: async () => proc?.stop(),
  };
}

function pm2Ctl(rt) {
  const home = scratch(`pm2-${rt.name}`);
  const pm2 = [rt.exe, resolve(ROOT, "node_modules/pm2/bin/pm2")];
  let port;
  let env;
  const run = (...args) =>
    new Promise((res, rej) =>
      execFile(pm2[0], [pm2[1], ...args], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) =>
        err ? rej(new Error(`pm2 ${args.join(" ")}: ${String(stderr || stdout).slice(-300)}`)) : res(now()),
      ),
    );
  return {
    async start(app) {
      port = await freePort();
      env = { ...process.env, PM2_HOME: home, PORT: String(port), APP: app, PM2_GRACEFUL: "1" };
      await run("start", resolve(ROOT, "bench/servers/node-raw.mjs"), "-i", "2", "--name", "bench", "--kill-timeout", "10000");
      await waitFor200(`http://127.0.0.1:${port}/`, null, 30_000);
      return { port };
    },
    command: () =>
      `PM2_HOME=bench/.tmp/pm2-${rt.name} PM2_GRACEFUL=1 ${rt.name} node_modules/pm2/bin/pm2 start bench/servers/node-raw.mjs -i 2 --kill-timeout 10000; pm2 reload bench; pm2 stop bench`,
    deploy: () => run("reload", "bench"),
    shutdown: () => run("stop", "bench"),
    async cleanup() {
      const pidFile = resolve(home, "pm2.pid");
      const daemon = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0;
      await run("kill").catch(() => {});
      if (daemon) {
        try {
          process.kill(-daemon, "SIGKILL");
        } catch {}
        try {
          process.kill(daemon, "SIGKILL");
        } catch {}
      }
    },
  };
}

export async function deploy(rt, cfg, capacity) {
  // Half the capacity the server keeps when this Node client (which needs about as much CPU per
  // request as the server) shares the 2 cores: a quarter of what wrk measured, and at most 4000/s,
  // above which the client itself falls behind on this machine (its lag is reported).
  const rate = Math.round(Math.min(4000, Math.max(500, (capacity || 4000) / 4)));
  const results = [];
  const cases = [
    ["pounce (SIGHUP)", pounceCtl(rt)],
    ...(rt.kind === "node" && cfg.pm2 ? [["PM2 cluster (pm2 reload)", pm2Ctl(rt)]] : []),
    ...(cfg.naive ? [["naive kill + restart", naiveCtl(rt)]] : []),
  ];
  for (const [name, ctl] of cases) {
    step(`deploy: ${rt.name} ${name}`, cfg.steady);
    try {
      results.push(await drive(`${rt.name} ${name}`, ctl, cfg, rate));
    } catch (err) {
      results.push({ name: `${rt.name} ${name}`, unavailable: String(err.message).split("\n")[0].slice(0, 200) });
      await ctl.cleanup().catch(() => {});
    }
  }
  return { runtime: rt.name, rate, results };
}
