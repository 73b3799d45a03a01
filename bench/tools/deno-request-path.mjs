// Which part of pounce's Deno request path costs throughput? Deno.serve raw vs raw + one piece each
// (info.completed promise, info.remoteAddr read, reusePort listener), loaded in turn with wrk.
//   node bench/tools/deno-request-path.mjs [rounds=4] [seconds=3] [variants=raw,completed,…]
import { resolve } from "node:path";
import { load } from "../lib/load.mjs";
import { freePort, killAll, Proc, waitFor200 } from "../lib/proc.mjs";
import { median } from "../lib/stats.mjs";
import { RUNTIMES } from "../lib/targets.mjs";

const [rounds, seconds] = [Number(process.argv[2] ?? 4), Number(process.argv[3] ?? 3)];
const deno = RUNTIMES.find((r) => r.name === "deno").exe;
const variants = (process.argv[4] ?? "raw,completed,remoteAddr,reusePort,hostGet,headersIterate,bodyNull,urlRead").split(",");
const servers = [];
try {
  for (const v of variants) {
    const port = await freePort();
    const p = new Proc(v, [deno, "run", "-A", "--unstable-net", resolve(import.meta.dirname, "deno-variant-server.mjs")], {
      env: { VARIANT: v, PORT: String(port) },
    });
    await waitFor200(`http://127.0.0.1:${port}/`, p);
    servers.push({ v, url: `http://127.0.0.1:${port}/`, runs: [] });
  }
  for (const s of servers) await load(s.url, { seconds: 2, connections: 32 });
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...servers].reverse() : servers) s.runs.push((await load(s.url, { seconds, connections: 32 })).rps);
  }
  const raw = servers[0];
  for (const s of servers) {
    const ratio = median(s.runs.map((x, i) => x / raw.runs[i]));
    console.log(
      `${s.v.padEnd(11)} ${Math.round(median(s.runs))} req/s  ${(ratio * 100).toFixed(1)}% of raw  (${s.runs.map(Math.round).join(" / ")})`,
    );
  }
} finally {
  killAll();
}
process.exit(0);
