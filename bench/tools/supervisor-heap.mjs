// Is the supervisor's RSS growth across reloads retained JS objects? Heap snapshots (which run a
// full GC first) of a Node supervisor after 10 and after 10+N reloads, diffed by constructor.
//   node bench/tools/supervisor-heap.mjs [N=100]
import { readdirSync, readFileSync } from "node:fs";
import { killAll, now, rssKb, sleep } from "../lib/proc.mjs";
import { contenders, RUNTIMES, Server } from "../lib/targets.mjs";
import { scratch, writeApp } from "../sections/deploy-lib.mjs";

const N = Number(process.argv[2] ?? 100);
const rt = RUNTIMES.find((r) => r.name === "node24");
const dir = scratch(`heap-${Date.now()}`);
const spec = {
  ...contenders(rt).pounce(2, writeApp(dir, "v0")),
  env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` },
};
const snaps = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".heapsnapshot"))
    .sort();
let v = 0;
const s = await Server.start(spec, {});
try {
  const reloads = async (n) => {
    for (let i = 0; i < n; i++) {
      writeApp(dir, `v${++v}`);
      const t = now();
      s.proc.signal("SIGHUP");
      await s.proc.waitLine("Graceful reload complete", { since: t });
    }
  };
  const snap = async () => {
    const before = snaps().length;
    s.proc.signal("SIGUSR2");
    for (let i = 0; i < 150 && snaps().length === before; i++) await sleep(200);
    await sleep(1500); // the file is written in one go after it appears; leave it time to finish
  };
  await reloads(10);
  await snap();
  const rssA = rssKb(s.proc.pid);
  await reloads(N);
  await snap();
  const rssB = rssKb(s.proc.pid);
  const [a, b] = snaps().map((f) => summarize(`${dir}/${f}`));
  console.log(
    `reloads 10 → ${10 + N}: RSS ${rssA} → ${rssB} KB; JS heap self size ${a.total} → ${b.total} bytes (${((b.total - a.total) / N).toFixed(0)} B/reload)`,
  );
  console.log("largest growth by constructor (count, bytes):");
  const rows = [...b.by.entries()].map(([k, [n, sz]]) => [k, n - (a.by.get(k)?.[0] ?? 0), sz - (a.by.get(k)?.[1] ?? 0)]);
  for (const r of rows.sort((x, y) => y[2] - x[2]).slice(0, 8)) console.log(`  ${r[0]}\t${r[1]}\t${r[2]}`);
} finally {
  await s.stop();
  killAll();
}

function summarize(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iT, iN, iS] = ["type", "name", "self_size"].map((x) => f.indexOf(x));
  const by = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const t = types[snap.nodes[i + iT]];
    const name = t === "object" || t === "closure" ? snap.strings[snap.nodes[i + iN]] : `(${t})`;
    const size = snap.nodes[i + iS];
    total += size;
    const e = by.get(name) ?? [0, 0];
    e[0]++;
    e[1] += size;
    by.set(name, e);
  }
  return { total, by };
}
