#!/usr/bin/env node
// `node bench/tools/worker-rss.mjs [rounds=3] [runtimes]`: RSS one second after ready of the raw
// server, of each pounce worker (2 workers) and of the supervisor, alternating raw / pounce.
import { childrenOf, killAll, rssKb, sleep } from "../lib/proc.mjs";
import { median } from "../lib/stats.mjs";
import { contenders, missing, RUNTIMES, Server } from "../lib/targets.mjs";

const rounds = Number(process.argv[2] ?? 3);
const only = process.argv[3]?.split(",");
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
for (const rt of RUNTIMES.filter((r) => !only || only.includes(r.name))) {
  if (missing(rt)) continue;
  const raw = [];
  const workers = [];
  const sup = [];
  for (let r = 0; r < rounds; r++) {
    for (const key of r % 2 ? ["pounce", "raw"] : ["raw", "pounce"]) {
      const c = contenders(rt);
      const s = await Server.start(key === "raw" ? c.raw() : c.pounce(2), { name: `${rt.name} ${key}` });
      await sleep(1_000);
      if (key === "raw") raw.push(rssKb(s.proc.pid));
      else {
        sup.push(rssKb(s.proc.pid));
        for (const pid of childrenOf(s.proc.pid)) workers.push(rssKb(pid));
      }
      await s.stop();
    }
  }
  const w = median(workers);
  const rr = median(raw);
  console.log(`${rt.name}: raw ${mb(rr)}, worker ${mb(w)} (${((w / rr) * 100).toFixed(0)} %), supervisor ${mb(median(sup))}`);
}
killAll();
