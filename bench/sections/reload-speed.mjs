// 8. SIGHUP → new code, per runtime, beside gunicorn (and nginx, when installed): 2 workers, the
// default --reload-stagger, a TypeScript hello app whose version is bumped before each signal. Two
// clients: a poller on a fresh connection every 5 ms (the first response with the new version is
// "new code"), and 8 kept-alive clients, one socket each, a request every 20 ms ("kept-alive": when the
// last of them got the new version; the promise is 1 s). Beside the wall clock, which follows the
// machine's load, the CPU the new workers used until the reload completed (/proc/<pid>/schedstat of
// the supervisor's children then: the old generation has exited), which hardly does.
// Each runtime is measured as it starts by default and with `--warm-workers 2` (each SIGHUP only
// once both warm workers wait, as they do on a quiet server).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { resolve } from "node:path";
import { freePort, get, now, Proc, sleep, waitFor200, warmWaiting } from "../lib/proc.mjs";
import { step } from "../lib/progress.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, Server } from "../lib/targets.mjs";
import { scratch } from "./deploy-lib.mjs";

const KEPT_ALIVE = 8;
const PACE_MS = 20;

export function estimate(cfg) {
  return cfg.speedReloads * 3 + 4;
}

function writeTsApp(dir, version) {
  const file = resolve(dir, "app.ts");
  writeFileSync(
    file,
    `const VERSION: string = ${JSON.stringify(version)};\nexport default { fetch: (_r: Request): Response => new Response(VERSION) };\n`,
  );
  return file;
}

function writeWsgiApp(dir, version) {
  writeFileSync(
    resolve(dir, "wsgiapp.py"),
    `VERSION = ${JSON.stringify(version)}\ndef app(environ, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [VERSION.encode()]\n`,
  );
}

function keptAliveGet(agent, url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** CPU ms each child of `pid` has used so far (Linux /proc; [] elsewhere). */
function childrenCpuMs(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((c) => Number(readFileSync(`/proc/${c}/schedstat`, "utf8").split(" ")[0]) / 1e6);
  } catch {
    return [];
  }
}

/** One reload: signal, then the times (ms after it) the poller and each kept-alive client saw `version`. */
async function oneReload(url, version, signal, waitDone) {
  const agents = Array.from({ length: KEPT_ALIVE }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  let stop = false;
  let t0 = 0;
  const firstNew = new Array(KEPT_ALIVE).fill(Number.NaN);
  const clients = agents.map(async (agent, i) => {
    for (let n = 0; !stop && n < 5_000; n++) {
      const body = await keptAliveGet(agent, url).catch(() => "");
      if (t0 && body === version) return void (firstNew[i] = now() - t0);
      await sleep(PACE_MS);
    }
  });
  await sleep(300); // every client on its kept-alive socket before the signal
  t0 = now();
  signal();
  let newCode = Number.NaN;
  for (let n = 0; n < 2_000 && now() - t0 < 10_000; n++) {
    const r = await get(url, 2_000).catch(() => null);
    if (r?.body === version) {
      newCode = now() - t0;
      break;
    }
    await sleep(5);
  }
  const until = now() + 10_000;
  while (firstNew.some((x) => Number.isNaN(x)) && now() < until) await sleep(20);
  stop = true;
  await Promise.all(clients);
  for (const a of agents) a.destroy();
  await waitDone(t0);
  return { newCode, keptAlive: Math.max(...firstNew) };
}

export async function reloadSpeed(rt, cfg, warm = 0) {
  const dir = scratch(`speed-${rt.name}${warm ? "-warm" : ""}`);
  const pidFile = resolve(dir, "pounce.pid");
  const extra = warm ? ["--warm-workers", String(warm), "--pid-file", pidFile] : [];
  const s = await Server.start(contenders(rt).pounce(2, writeTsApp(dir, "v0"), extra), { name: `${rt.name} pounce speed` });
  const runs = [];
  try {
    for (let i = 1; i <= cfg.speedReloads; i++) {
      step(`${rt.name}${warm ? ` --warm-workers ${warm}` : ""}: SIGHUP → new code ${i}/${cfg.speedReloads}`, 3);
      if (warm) await warmWaiting(`${pidFile}.state.json`, warm);
      writeTsApp(dir, `v${i}`);
      runs.push(
        await oneReload(
          s.url(),
          `v${i}`,
          () => s.proc.signal("SIGHUP"),
          (t) => s.proc.waitLine("Graceful reload complete", { since: t, timeoutMs: 30_000 }),
        ),
      );
      runs.at(-1).workerCpu = childrenCpuMs(s.proc.pid);
      await sleep(300);
    }
  } finally {
    await s.stop();
  }
  const command = s
    .command()
    .replace(/--port \d+/, "--port P")
    .replace(/--pid-file \S+/, "--pid-file F");
  return {
    ...summary(warm ? `${rt.name} --warm-workers ${warm}` : rt.name, command, runs),
    ...(warm ? { variant: `--warm-workers ${warm}` } : {}),
  };
}

function summary(name, command, runs) {
  return {
    name,
    command,
    runs,
    newCode: median(runs.map((r) => r.newCode)),
    keptAlive: median(runs.map((r) => r.keptAlive)),
    keptAliveMax: Math.max(...runs.map((r) => r.keptAlive)),
    workerCpu: median(runs.flatMap((r) => r.workerCpu ?? [])),
  };
}

/** gunicorn, sync workers, HUP to the master (it starts new workers, which import the app anew). */
export async function gunicornSpeed(cfg) {
  try {
    execFileSync("gunicorn", ["--version"], { stdio: "ignore" });
  } catch {
    return { name: "gunicorn", unavailable: "gunicorn is not installed" };
  }
  const dir = scratch("speed-gunicorn");
  writeWsgiApp(dir, "v0");
  const port = await freePort();
  const p = new Proc("gunicorn", ["gunicorn", "-w", "2", "-b", `127.0.0.1:${port}`, "--chdir", dir, "wsgiapp:app"], { cwd: dir });
  const url = `http://127.0.0.1:${port}/`;
  const runs = [];
  try {
    await waitFor200(url, p, 20_000);
    for (let i = 1; i <= cfg.speedReloads; i++) {
      step(`gunicorn: SIGHUP → new code ${i}/${cfg.speedReloads}`, 3);
      writeWsgiApp(dir, `v${i}`);
      runs.push(
        await oneReload(
          url,
          `v${i}`,
          () => p.signal("SIGHUP"),
          () => sleep(500),
        ),
      );
      runs.at(-1).workerCpu = childrenCpuMs(p.pid);
    }
  } finally {
    await p.stop();
  }
  return summary("gunicorn (2 sync workers)", `gunicorn -w 2 -b 127.0.0.1:P --chdir DIR wsgiapp:app`, runs);
}

export function nginxUnavailable() {
  try {
    execFileSync("nginx", ["-v"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "nginx is not installed on this machine: not measured";
  }
}

export function reportLines(list, cfg) {
  const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "–");
  const L = ["## 8. SIGHUP → new code, beside gunicorn", ""];
  L.push(
    `${cfg.speedReloads} reloads each, 2 workers, default stagger, a TypeScript hello app (pounce) / a WSGI hello app (gunicorn) with its version bumped before each SIGHUP. “new code”: first response with the new version on a fresh connection (poll every 5 ms). “kept-alive”: when the last of ${KEPT_ALIVE} kept-alive clients (a request every ${PACE_MS} ms each) got it.`,
    "",
    "“new worker CPU”: what each new worker had used (user + system) when the reload completed, median over the reloads; unlike the wall clock, other load on the machine hardly moves it. With `--warm-workers` it includes what the worker used while warm, before the signal.",
    "",
    "| server | new code (median) | per reload | kept-alive, last client (median, max) | new worker CPU | command |",
    "|---|---:|---|---:|---:|---|",
  );
  for (const r of list) {
    if (r.unavailable) L.push(`| ${r.name} | not available (${r.unavailable}) | | | | |`);
    else
      L.push(
        `| ${r.name} | ${ms(r.newCode)} | ${r.runs.map((x) => ms(x.newCode)).join(", ")} | ${ms(r.keptAlive)}, ${ms(r.keptAliveMax)} | ${ms(r.workerCpu)} | \`${r.command}\` |`,
      );
  }
  const nginx = nginxUnavailable();
  if (nginx) L.push("", `nginx: ${nginx}.`);
  L.push("");
  return L;
}
