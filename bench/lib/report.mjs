// The Markdown report: machine, runtime versions, exact commands, one table per case, targets.
import { reportLines as speedLines } from "../sections/reload-speed.mjs";
import { startBudgetMs, reportLines as startLines, supervisorBudgetKb } from "../sections/startup.mjs";
import { reportLines as httpsLines } from "../sections/https.mjs";
import { reportLines as watchLines } from "../sections/watch.mjs";
import { reportLines as websocketLines } from "../sections/websocket.mjs";
import { fmt, median, pct } from "./stats.mjs";
import { ROOT } from "./targets.mjs";

const rel = (s) =>
  String(s ?? "")
    .replaceAll(`${ROOT}/`, "")
    .replace(/--port \d+/, "--port P");
const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : "–");
const rssText = (r) => {
  if (!r) return "–";
  const kids = r.children.map((c) => mb(c.rss));
  return kids.length ? `${mb(r.main)} + ${kids.join(" + ")}` : mb(r.main);
};
const rssTotal = (r) => (r ? r.main + r.children.reduce((a, c) => a + c.rss, 0) : NaN);
const yes = (ok) => (ok ? "**met**" : "**MISSED**");
const cpuNote = (c) => (Number.isFinite(c) ? `; CPU per request ${pct(c)} of raw's` : "");
const ms = (x, d = 1) => (Number.isFinite(x) ? `${x.toFixed(d)} ms` : "–");

export function report(res, base) {
  const L = [];
  const { cfg, machine: m } = res;
  L.push(`# pounce benchmark — ${res.started.toISOString().slice(0, 16).replace("T", " ")} UTC (${cfg.mode})`, "");
  L.push(
    `Produced by \`npm run bench${res.argv.length ? ` -- ${res.argv.join(" ")}` : ""}\` in ${Math.round((res.finished - res.started) / 1000)} s. Everything on 127.0.0.1.`,
    "",
  );
  L.push("| machine | |", "|---|---|");
  L.push(`| CPU | ${m.cpus} |`, `| memory | ${m.mem} |`, `| kernel | ${m.kernel} |`, `| load average at start | ${m.load} |`);
  L.push(`| net.ipv4.tcp_migrate_req | ${m.migrate} |`, `| load generator | ${m.wrk} (-t1) |`);
  for (const rt of res.runtimes) L.push(`| ${rt.name} | ${rt.version} (\`${rel(rt.exe)}\`) |`);
  for (const s of res.skipped) L.push(`| skipped | ${s} |`);
  L.push(`| set-up | ${res.setup.join("; ")} |`, "");
  L.push(
    "**Read with care:** the machine has 2 cores and the load generator (wrk, one thread) and the open-loop",
    "client share them with the server, so absolute req/s are low and a 2-process server cannot use two full",
    "cores. Ratios are measured side by side (contenders loaded in turn, order reversed every round) to cancel drift;",
    "other work on the machine still adds noise (load average above).",
    "",
  );

  // targets
  L.push("## Targets", "", "| target | runtime | measured | |", "|---|---|---|---|");
  for (const t of res.throughput) {
    const r = t.ratios.p1raw;
    L.push(
      `| pounce 1 worker ≥ 95% of raw req/s | ${t.runtime} | ${Number.isFinite(r) ? `${pct(r)}${cpuNote(t.cpu?.p1raw)}` : `n/a (${t.rows.pounce1?.unavailable ?? t.rows.raw?.unavailable})`} | ${Number.isFinite(r) ? yes(r >= 0.95) : "–"} |`,
    );
  }
  for (const s of res.startup) {
    const budget = startBudgetMs(s.kind);
    for (const k of ["pounce1", "pounce2"]) {
      const over = s.first200[k] - s.first200.raw;
      L.push(
        `| spawn → first 200 ≤ raw + ${budget} ms (${k === "pounce1" ? "1 worker" : "2 workers"}) | ${s.runtime} | ${ms(s.first200[k], 0)} vs raw ${ms(s.first200.raw, 0)}: +${ms(over, 0)} | ${yes(over <= budget)} |`,
      );
    }
    const sup = s.rss.supervisor;
    L.push(
      `| supervisor RSS ≤ ${supervisorBudgetKb(s.kind) / 1024} MB, 1 s after ready | ${s.runtime} | ${mb(sup)} (the runtime's idle floor: ${mb(s.rss.floor)}) | ${yes(sup <= supervisorBudgetKb(s.kind))} |`,
    );
    L.push(
      `| worker RSS ≤ raw server + 10 % | ${s.runtime} | ${mb(s.rss.workers)} vs ${mb(s.rss.raw)} (${pct(s.rss.workers / s.rss.raw)}) | ${yes(s.rss.workers <= s.rss.raw * 1.1)} |`,
    );
  }
  for (const r of res.speed) {
    if (r.unavailable || !r.runtime) continue;
    L.push(
      `| SIGHUP → new code ≤ 150 ms | ${r.runtime}${r.variant ? ` (${r.variant})` : ""} | ${ms(r.newCode, 0)} (gunicorn: ${ms(res.speed.find((x) => x.name.startsWith("gunicorn"))?.newCode, 0)}) | ${yes(r.newCode <= 150)} |`,
    );
    L.push(
      `| kept-alive client on new code ≤ 1 s after SIGHUP | ${r.runtime}${r.variant ? ` (${r.variant})` : ""} | last of 8 clients: median ${ms(r.keptAlive, 0)}, max ${ms(r.keptAliveMax, 0)} | ${yes(r.keptAliveMax <= 1000)} |`,
    );
  }
  for (const d of res.deploy) {
    const p = d.results.find((x) => x.name.includes("pounce"));
    if (!p || p.unavailable) {
      L.push(`| 0 failed across reloads + shutdown | ${d.runtime} | n/a (${p?.unavailable}) | – |`);
      continue;
    }
    const failed = p.failed.count + p.termFailed.count + (10 - p.slowOk);
    L.push(
      `| 0 failed across reloads + shutdown | ${d.runtime} | ${failed} (reloads ${p.failed.count} of ${p.requests}; shutdown ${p.termFailed.count} + ${10 - p.slowOk} slow) | ${yes(failed === 0)} |`,
    );
    const worst = Math.max(...p.reloads.map((r) => r.p99 / p.steadyP99));
    L.push(
      `| p99 in the second after SIGHUP ≤ 2× steady | ${d.runtime} | worst ${fmt(worst, 2)}× (steady ${ms(p.steadyP99)}) | ${yes(worst <= 2)} |`,
    );
  }
  for (const r of res.rss) {
    L.push(
      `| supervisor RSS flat (≤ 5 KB/reload) across ${r.reloads} reloads | ${r.runtime} | ${fmt(r.slope, 1)} KB/reload (second half ${fmt(r.slopeSecondHalf, 1)}); ${mb(r.first)} → ${mb(r.last)} | ${r.reloads >= 100 ? yes(Math.abs(r.slopeSecondHalf) <= 5) : "not judged: under 100 reloads, warm-up dominates"} |`,
    );
  }
  for (const n of res.notAvailable)
    L.push(`| deploy / growth / RSS | ${n.runtime} | pounce on ${n.runtime}: not available (${n.why}) | – |`);
  L.push("", "(RSS counted flat when the second-half slope is at most 5 KB per reload, issue 15.)", "");

  if (res.throughput.length) {
    // 1. throughput
    L.push("## 1. Throughput and latency (hello world, keep-alive, closed loop)", "");
    L.push(`![throughput](${base}-throughput.svg)`, "");
    L.push(
      `Each server warmed up ${cfg.warmup} s, then ${cfg.rounds} rounds of ${cfg.seconds} s each; medians of the rounds. Ratio = median of the per-round ratios. Server CPU per request = utime + stime of the server's processes (supervisor and workers, /proc/<pid>/stat) over a round, divided by its requests: unlike req/s it barely moves when other work shares the machine.`,
      "",
    );
    for (const t of res.throughput) {
      L.push(
        `### ${t.runtime}`,
        "",
        "| server | req/s | p50 | p99 | errors | server CPU per request | ratio |",
        "|---|---:|---:|---:|---:|---:|---|",
      );
      const ratio = {
        pounce1: `${pct(t.ratios.p1raw)} of raw, ${pct(t.ratios.p1srvx)} of srvx req/s; CPU/request ${pct(t.cpu?.p1raw)} of raw's`,
        pounce2: `${pct(t.ratios.p2multi)} of ${t.rows.multi?.label} req/s; CPU/request ${pct(t.cpu?.p2multi)} of its`,
      };
      for (const [k, row] of Object.entries(t.rows)) {
        if (row.unavailable) L.push(`| ${row.label} | not available (${row.unavailable}) | | | | | |`);
        else
          L.push(
            `| ${row.label} | ${fmt(row.rps)} | ${ms(row.p50, 2)} | ${ms(row.p99, 2)} | ${row.errors} | ${fmt(row.cpuUs, 1)} µs | ${ratio[k] ?? ""} |`,
          );
      }
      L.push(
        "",
        "Per round (req/s): " +
          Object.values(t.rows)
            .filter((r) => !r.unavailable)
            .map((r) => `${r.label} ${r.runs.map((x) => fmt(x.rps)).join(" / ")}`)
            .join("; "),
        "",
      );
    }
  }

  if (res.deploy.length) {
    // 2. deploy
    L.push("## 2. Deploy cost (open loop, fixed rate)", "");
    for (const n of res.notAvailable) L.push(`pounce on ${n.runtime}: not available (${n.why}).`, "");
    if (res.deploy[0]) L.push(`![p99 over time](${base}-p99.svg)`, "");
    L.push(
      "An open-loop client (`bench/lib/openloop.mjs`) sends at a fixed rate — a quarter of pounce's 2-worker req/s under wrk (about half of what is left once this Node client takes its share of the 2 cores), at most 4000/s — over up to 32 kept-alive sockets,",
      "plus 2% of the rate on a fresh connection each (`Connection: close`); latency runs from each request's *scheduled* send time.",
      `After ${cfg.steady} s steady, ${cfg.reloads} deploys (the app file's VERSION is bumped, then the reload), ${cfg.gap} s apart; then 10 requests of ${1000} ms are started and 200 ms later the server is stopped.`,
      "Client lag = time from a request's scheduled send to its actual write, in the steady window: large values mean the client itself was short of CPU (the p99s include it, as an open-loop measurement must). ",
      "Steady p99 = from 1.5 s after the client starts (a fresh server's JIT warm-up) to the first deploy. A failure is counted in the phase in which it was seen: a request stuck since a deploy and reset by the stop counts at the stop. “queued, never sent” = requests the client could not send because every pooled socket was busy or refused when the server stopped (not counted as failures). The pool reuses the most recently freed socket first (LIFO, as Node's http.Agent does), so some kept-alive sockets sit idle long enough to meet a draining server's idle-close.",
      "“new code” = SIGHUP to the first response carrying the new version; “complete” = SIGHUP to `Graceful reload complete` (pounce), `pm2 reload` returning (PM2), or the restarted server's first 200 (naive).",
      "",
    );
    if (!cfg.pm2)
      L.push(
        `(Quick mode: ${cfg.reloads} deploys ${cfg.gap} s apart, pounce only — \`npm run bench\` without \`--quick\` adds PM2 on Node and a naive kill-and-restart, and runs 5 deploys on every runtime.)`,
        "",
      );
    for (const d of res.deploy) {
      L.push(`### ${d.runtime} — ${d.rate} req/s`, "");
      L.push(
        "| | requests | failed during reloads | steady p99 (client lag p99) | p99 in its first second (cold) | p99 in the second after each reload | new code (median) | complete (median) | shutdown: slow OK | sent before stop, failed | queued, never sent | stop → exit |",
      );
      L.push("|---|---:|---|---:|---:|---|---:|---:|---:|---|---:|---:|");
      for (const r of d.results) {
        if (r.unavailable) {
          L.push(`| ${r.name} | not available (${r.unavailable}) ||||||||||`);
          continue;
        }
        const kinds = (f) =>
          f.count
            ? `${f.count} (${Object.entries(f.byKind)
                .map(([k, v]) => `${k}: ${v}`)
                .join(", ")})`
            : "0";
        L.push(
          `| ${r.name} | ${r.requests} | ${kinds(r.failed)} | ${ms(r.steadyP99)} (${ms(r.clientLagP99)}) | ${ms(r.coldP99)} | ${r.reloads.map((x) => fmt(x.p99, 1)).join(", ")} ms | ${ms(median(r.reloads.map((x) => x.newCodeMs)), 0)} | ${ms(median(r.reloads.map((x) => x.completeMs)), 0)} | ${r.slowOk}/10 | ${kinds(r.termFailed)} of ${r.termSent}${r.stuckAtTerm ? ` (${r.stuckAtTerm} had waited > 1 s)` : ""} | ${r.termUnsent} | ${ms(r.shutdownMs, 0)} |`,
        );
      }
      L.push("", "Commands:", "");
      for (const r of d.results.filter((x) => !x.unavailable)) L.push(`- ${r.name}: \`${rel(r.command)}\``);
      if (d.results[0]?.client) L.push(`- client: \`${rel(d.results[0].client)}\``);
      L.push("");
    }
  }

  if (res.throughput.length) {
    // 3. start-up and memory
    L.push("## 3. Start-up and memory", "");
    L.push(
      "Spawn → first 200 (polled every 5 ms, each server started alone, once: a single cold start — the first of each runtime after a build fills Deno's code cache; section 7 has the alternating medians the targets use). RSS from /proc/<pid>/status VmRSS: main process + each child process (pounce: supervisor + workers; cluster: primary + workers), idle (0.5 s after the first 200) and after the throughput rounds.",
      "",
    );
    L.push(
      "| runtime | server | spawn → first 200 | RSS idle | RSS after load | total after load |",
      "|---|---|---:|---|---|---:|",
    );
    for (const t of res.throughput) {
      for (const row of Object.values(t.rows)) {
        if (row.unavailable) continue;
        L.push(
          `| ${t.runtime} | ${row.label} | ${ms(row.first200, 0)} | ${rssText(row.rssIdle)} | ${rssText(row.rssLoaded)} | ${mb(rssTotal(row.rssLoaded))} |`,
        );
      }
    }
    L.push("");
  }

  if (res.growth.length) {
    // 4. growth
    L.push("## 4. Cost of growth", "");
    for (const g of res.growth) {
      L.push(`### ${g.runtime}`, "", "| workers | req/s | p99 | reload time, idle (median) |", "|---:|---:|---:|---:|");
      for (const w of g.workers)
        L.push(
          `| ${w.workers} | ${fmt(w.rps)} | ${ms(w.p99, 2)} | ${ms(w.reloadMs, 0)} (${w.reloads} reload${w.reloads > 1 ? "s" : ""}) |`,
        );
      L.push(
        "",
        "| slow requests (1000 ms) in flight at SIGHUP, 2 workers | reload time | slow requests answered 200 |",
        "|---:|---:|---:|",
      );
      for (const f of g.inflight) L.push(`| ${f.n} | ${ms(f.reloadMs, 0)} | ${f.ok}/${f.n} |`);
      L.push("");
    }
    L.push(
      "On 2 cores, more than 2 workers cannot add throughput (and wrk takes one core), so 4 workers measure the cost of",
      "over-subscription, not scaling. Reload time includes the new workers' start-up (a process and a module import each)",
      "and the old workers' drain: the idle kept-alive socket grace (1 s) and any slow request still running.",
      "",
    );
  }

  if (res.rss.length) {
    // 5. RSS
    L.push("## 5. Supervisor RSS across reloads", "");
    L.push("| runtime | reloads | first | last | slope (all) | slope (second half) |", "|---|---:|---:|---:|---:|---:|");
    for (const r of res.rss)
      L.push(
        `| ${r.runtime} | ${r.reloads} | ${mb(r.first)} | ${mb(r.last)} | ${fmt(r.slope, 1)} KB/reload | ${fmt(r.slopeSecondHalf, 1)} KB/reload |`,
      );
    L.push("");
    if (res.rss[0])
      L.push(
        `Samples (reload: KB): ${res.rss.map((r) => `${r.runtime}: ${r.samples.map((s) => s[1]).join(" ")}`).join("; ")}`,
        "",
      );
  }

  if (res.warmRss?.length) {
    L.push("## 5b. What a warm worker costs (`--warm-workers 2`)", "");
    L.push(
      "2 workers and 2 warm workers, a TypeScript hello app, no load, 1 s after both warm workers wait: each process's VmRSS (a warm worker holds the runtime, pounce's worker code and the TypeScript loader, not the app); then the serving workers again after one reload, when they are the former warm workers.",
      "",
      "| runtime | warm worker RSS (each) | serving worker RSS (each) | serving, after a reload took the warm ones | command |",
      "|---|---:|---:|---:|---|",
    );
    for (const r of res.warmRss)
      L.push(
        `| ${r.runtime} | ${r.warm.map((k) => mb(k)).join(", ")} | ${r.serving.map((k) => mb(k)).join(", ")} | ${r.servingAfterReload.map((k) => mb(k)).join(", ")} | \`${r.command}\` |`,
      );
    L.push("");
  }

  if (res.reloadRss?.length) {
    // 6. peak RSS during a reload, all at once vs in batches
    const w = res.reloadRss[0].workers;
    L.push(`## 6. Peak RSS during a reload of ${w} workers: all at once vs \`--reload-batch 1\``, "");
    L.push(
      "Sum of the supervisor's and every worker's VmRSS, sampled from /proc every 10 ms from the SIGHUP to",
      "`Graceful reload complete` (no load); medians of the reloads. The 64 MB app keeps 64 MB of its own per worker.",
      "",
    );
    L.push(
      "| runtime | app | reload | steady | peak | peak ÷ steady | most workers at once | reload took |",
      "|---|---|---|---:|---:|---:|---:|---:|",
    );
    for (const r of res.reloadRss)
      for (const row of r.rows)
        L.push(
          `| ${r.runtime} | ${row.app} | ${row.mode} | ${mb(row.steadyKb)} | ${mb(row.peakKb)} | ${fmt(row.peakKb / row.steadyKb, 2)}× | ${row.mostWorkers} | ${ms(row.reloadMs, 0)} |`,
        );
    L.push("");
    for (const r of res.reloadRss)
      for (const row of r.rows) L.push(`- ${r.runtime} ${row.app}, ${row.mode}: \`${rel(row.command)}\``);
    L.push("");
  }
  if (res.websocket?.length) L.push(...websocketLines(res.websocket, res.cfg));
  if (res.watch?.length) L.push(...watchLines(res.watch));
  if (res.startup?.length) L.push(...startLines(res.startup));
  if (res.speed?.length) L.push(...speedLines(res.speed, res.cfg));
  if (res.https?.length) L.push(...httpsLines(res.https));

  // commands
  L.push("## Commands", "");
  for (const t of res.throughput) {
    for (const row of Object.values(t.rows)) if (!row.unavailable) L.push(`- ${t.runtime} ${row.label}: \`${rel(row.command)}\``);
  }
  const any = res.throughput.flatMap((t) => Object.values(t.rows)).find((r) => r.loadCommand);
  if (any) L.push(`- load: \`${any.loadCommand.replace(/:\d+\//, ":PORT/")}\``);
  L.push("");
  return L.join("\n");
}
