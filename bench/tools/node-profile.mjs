// CPU profile (node --cpu-prof) of a pounce worker and of the raw @hono/node-server under the same
// wrk load, then the functions with the most self time in each, so request-path cost shows up.
//   node bench/tools/node-profile.mjs [seconds=5] [runtime=node24|node20]
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { load } from "../lib/load.mjs";
import { killAll, sleep } from "../lib/proc.mjs";
import { contenders, RUNTIMES, Server, TMP } from "../lib/targets.mjs";

const seconds = Number(process.argv[2] ?? 5);
const rt = RUNTIMES.find((r) => r.name === (process.argv[3] ?? "node24"));
const c = contenders(rt);
try {
  // the raw server exits with a profile only through a handler: PM2_GRACEFUL gives it one on SIGINT
  for (const [name, spec, sig] of [
    ["pounce", c.pounce(1), "SIGTERM"],
    ["raw", { ...c.raw(), env: { ...c.raw().env, PM2_GRACEFUL: "1" } }, "SIGINT"],
  ]) {
    const dir = resolve(TMP, `prof-${name}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    // On the command line, not NODE_OPTIONS (Node 20 refuses --cpu-prof there); cluster workers
    // inherit the supervisor's execArgv.
    const argv = (port) => {
      const [exe, ...rest] = spec.argv(port);
      return [exe, "--cpu-prof", `--cpu-prof-dir=${dir}`, ...rest];
    };
    const s = await Server.start({ ...spec, argv }, {});
    await load(s.url(), { seconds: 2, connections: 32 });
    const r = await load(s.url(), { seconds, connections: 32 });
    s.proc.signal(sig);
    await Promise.race([s.proc.exited, sleep(15_000)]);
    await sleep(500);
    const profiles = readdirSync(dir).map((f) => JSON.parse(readFileSync(resolve(dir, f), "utf8")));
    // the serving process is the one with the most busy (non-idle) samples
    const busy = (p) => {
      const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
      return p.samples.filter((id) => !idle.has(id)).length;
    };
    const prof = profiles.sort((a, b) => busy(b) - busy(a))[0];
    if (!prof) {
      console.log(`${name}: no profile written`);
      continue;
    }
    const self = new Map();
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const counts = new Map();
    for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    let total = 0;
    for (const [id, n] of counts) {
      const cf = byId.get(id).callFrame;
      const key = `${cf.functionName || "(anonymous)"} ${cf.url.replace(/^.*\/(node_modules|dist)\//, "$1/").replace(/^node:/, "node:")}:${cf.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + n);
      total += n;
    }
    console.log(`\n${name}: ${Math.round(r.rps)} req/s under wrk; top self time (% of samples, ${total} samples):`);
    for (const [k, n] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 22))
      console.log(`  ${((n / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
    const pounceOwn = [...self.entries()].filter(([k]) => /dist\/(src|runtimes)\//.test(k)).reduce((a, [, n]) => a + n, 0);
    if (name === "pounce")
      console.log(`  pounce's own code (dist/src, dist/runtimes): ${((pounceOwn / total) * 100).toFixed(1)}% of samples`);
  }
} finally {
  killAll();
}
process.exit(0);
