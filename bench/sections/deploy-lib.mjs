// Shared by the deploy-cost and growth cases: a versioned app on disk, the open-loop client, and the
// analysis of its per-request records.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { get, now, Proc, sleep } from "../lib/proc.mjs";
import { quantile } from "../lib/stats.mjs";
import { TMP } from "../lib/targets.mjs";

const OPENLOOP = fileURLToPath(new URL("../lib/openloop.mjs", import.meta.url));

/** Write (or rewrite, for a deploy) the versioned app; its body is its version. */
export function writeApp(dir, version) {
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, "app.mjs");
  writeFileSync(
    file,
    `// written by the bench: every deploy bumps VERSION
const VERSION = ${JSON.stringify(version)};
export default {
  async fetch(request) {
    const i = request.url.indexOf("/slow?ms=");
    if (i >= 0) await new Promise((r) => setTimeout(r, Number(request.url.slice(i + 9))));
    return new Response(VERSION);
  },
};
`,
  );
  return file;
}

export function scratch(name) {
  const dir = resolve(TMP, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export class OpenLoop {
  constructor(port, { rate, closeRate, conns = 32, seconds = 300, name }) {
    this.cfg = { port, rate, closeRate, conns, seconds, out: resolve(TMP, `${name}.csv`) };
    this.proc = new Proc(`openloop ${name}`, [process.execPath, OPENLOOP, JSON.stringify(this.cfg)]);
    this.startedAt = now();
  }
  command() {
    return `node bench/lib/openloop.mjs '${JSON.stringify({ ...this.cfg, out: "…" })}'`;
  }
  /** Stop scheduling, wait for the last answers, return the records. */
  async finish() {
    this.proc.signal("SIGUSR2");
    await Promise.race([this.proc.exited, sleep(20_000)]);
    this.proc.kill();
    const text = readFileSync(this.cfg.out, "utf8");
    return text
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [sched, done, kind, result, body, sent] = l.split(",");
        return { sched: Number(sched), done: Number(done), sent: Number(sent), kind, result, body, ok: result === "200" };
      })
      .sort((a, b) => a.sched - b.sched);
  }
}

export function p99(recs) {
  const lat = recs
    .filter((r) => r.ok)
    .map((r) => r.done - r.sched)
    .sort((a, b) => a - b);
  return quantile(lat, 0.99);
}

/** Records whose scheduled time is in [from, to). */
export const within = (recs, from, to) => recs.filter((r) => r.sched >= from && r.sched < to);

/** Time from t to the first answer carrying `version`. */
export function firstServing(recs, version, t) {
  let best = Infinity;
  for (const r of recs) if (r.body === version && r.done >= t && r.done < best) best = r.done;
  return best - t;
}

export function failures(recs) {
  const bad = recs.filter((r) => !r.ok);
  const byKind = {};
  for (const r of bad)
    byKind[`${r.kind === "c" ? "conn-per-req" : "keep-alive"} ${r.result}`] =
      (byKind[`${r.kind === "c" ? "conn-per-req" : "keep-alive"} ${r.result}`] ?? 0) + 1;
  return { count: bad.length, byKind };
}

/** Fire n slow requests (fresh connections); resolves to how many answered 200. */
export function slowRequests(port, n, ms) {
  const all = Array.from({ length: n }, () =>
    get(`http://127.0.0.1:${port}/slow?ms=${ms}`, ms + 30_000).then(
      (r) => r.status === 200,
      () => false,
    ),
  );
  return Promise.all(all).then((oks) => oks.filter(Boolean).length);
}

/** p99 per bucket (ms) over the run, for the chart. */
export function p99Series(recs, t0, bucketMs = 250) {
  const buckets = new Map();
  for (const r of recs) {
    if (!r.ok) continue;
    const b = Math.floor((r.sched - t0) / bucketMs);
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b).push(r.done - r.sched);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, l]) => [
      (b * bucketMs) / 1000,
      quantile(
        l.sort((x, y) => x - y),
        0.99,
      ),
    ]);
}
