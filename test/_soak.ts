/**
 * The soak (issue 14): reloads under load on one runtime row, sampling the supervisor's resident
 * memory and open file descriptors after each reload, once only the new workers are left. `npm run soak` runs 200 reloads per row
 * (scripts/soak.mjs); test/soak-short.test.ts runs 10 per row in the default suite.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stopPounce } from "./_fixture.ts";
import { cleanup, startLoad, tempDir, versionedApp, waitUntil } from "./_harness.ts";
import { Pounce } from "./_pounce.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

export interface SoakFigures {
  runtime: string;
  reloads: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** After each reload: the supervisor's VmRSS (KiB) and open fds. */
  rssKiB: number[];
  fds: number[];
  /** Least-squares slopes over the samples after the first tenth (warm-up). */
  rssSlopeKiBPerReload: number;
  /** The RSS slope over the second half only: whether the growth levels off. */
  rssSlopeLateKiBPerReload: number;
  fdSlopePerReload: number;
  workers: number;
  workersAtEnd: number;
  seconds: number;
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

export async function soak(rt: Runtime, reloads: number, workers = 2): Promise<SoakFigures> {
  const dir = tempDir();
  const started = Date.now();
  const p = await Pounce.start(rt, [versionedApp(dir, "v0"), "--workers", String(workers), "--reload-stagger", "0"], {
    cwd: dir,
  });
  try {
    const load = startLoad(p.port, { keepAlive: 2, perRequest: 2, durationMs: 3_600_000, maxRequests: 5_000_000 });
    await load.seen(20);
    const rss: number[] = [];
    const fds: number[] = [];
    for (let i = 1; i <= reloads; i++) {
      const mark = p.output.length;
      versionedApp(dir, `v${i}`);
      p.signal("SIGHUP");
      await p.waitFor(`Graceful reload complete. Running ${workers} worker(s) on generation ${i}`, {
        from: mark,
        timeoutMs: 60_000,
      });
      // Sample once the old workers are gone (their IPC channels and pipes closed), not mid-exit.
      await waitUntil(`${workers} workers left`, () => p.groupPids().length === workers, 15_000).catch(() => {});
      rss.push(rssKiB(p.pid));
      fds.push(openFds(p.pid));
    }
    const result = await load.stop();
    // The last generation's old workers finish draining; then exactly `workers` processes are left.
    await waitUntil(`${workers} workers left`, () => p.groupPids().length === workers, 15_000).catch(() => {});
    const workersAtEnd = p.groupPids().length;
    const warm = Math.floor(reloads / 10);
    await stopPounce(p);
    return {
      runtime: rt.name,
      reloads,
      ok: result.ok,
      failed: result.failed,
      errors: result.errors,
      rssKiB: rss,
      fds,
      rssSlopeKiBPerReload: slope(rss.slice(warm)),
      rssSlopeLateKiBPerReload: slope(rss.slice(Math.floor(reloads / 2))),
      fdSlopePerReload: slope(fds.slice(warm)),
      workers,
      workersAtEnd,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    p.kill();
    cleanup(dir);
  }
}

export function summary(f: SoakFigures): string {
  const first = (xs: number[]) => xs[0];
  const last = (xs: number[]) => xs[xs.length - 1];
  return (
    `${f.runtime}: ${f.reloads} reloads in ${f.seconds.toFixed(0)}s, ${f.ok} ok, ${f.failed} failed` +
    `${f.failed ? ` ${JSON.stringify(f.errors)}` : ""}; supervisor RSS ${first(f.rssKiB)}→${last(f.rssKiB)} KiB ` +
    `(slope ${f.rssSlopeKiBPerReload.toFixed(1)} KiB/reload, second half ${f.rssSlopeLateKiBPerReload.toFixed(1)}), fds ${first(f.fds)}→${last(f.fds)} ` +
    `(slope ${f.fdSlopePerReload.toFixed(3)}/reload); workers at the end ${f.workersAtEnd}/${f.workers}`
  );
}

// `node test/_soak.ts --main [reloads]` (what scripts/soak.mjs runs): every selected row, in turn.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--main")) {
  const reloads = Number(process.argv[process.argv.indexOf("--main") + 1] ?? 200) || 200;
  let bad = 0;
  for (const rt of selectedRuntimes()) {
    const f = await soak(rt, reloads);
    console.log(summary(f));
    if (f.failed > 0 || f.workersAtEnd !== f.workers || f.fdSlopePerReload > 0.05) bad++;
  }
  process.exit(bad ? 1 : 0);
}
