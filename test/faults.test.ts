/**
 * Faults (issue 14): a worker SIGKILLed under load loses only what it held and is replaced within a
 * second; a worker that stops answering (SIGSTOP, or a synchronous loop in the app) is killed by the
 * watchdog (--worker-timeout) and replaced within the timeout plus a second, and the log says why;
 * stdout/stderr closed or on a full disk: pounce keeps serving and reloading.
 */
import assert from "node:assert/strict";
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { describe, it } from "node:test";
import { freePort, type Pounce, request, sleep, versionedApp, waitUntil, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

// Every response names the worker process that made it; every request that reaches the app says so
// in the log (`begin <pid> <id>`), so a failed request can be traced to the worker that held it.
const APP = `export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const id = request.headers.get("x-id");
    if (id) console.log("begin " + process.pid + " " + id);
    if (url.pathname === "/spin") { while (true) {} }
    if (url.pathname === "/slow") await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? 20)));
    return new Response(String(process.pid));
  },
};
`;

/** The machine is shared with other test runs: time bounds get this much on top of the promise. */
const MARGIN_MS = 2_000;

const readyPid = (p: Pounce, worker: number): number => {
  const m = new RegExp(`Worker ${worker} \\(generation \\d+\\) ready \\(pid (\\d+)\\)`).exec(p.output);
  assert.ok(m, `no ready line for worker ${worker}:\n${p.output}`);
  return Number(m[1]);
};

interface Sent {
  id: number;
  ok: boolean;
  pid?: number;
  at: number;
  error?: string;
}

/** Closed-loop load with ids: `clients` connections-per-request clients plus `keepAlive` kept-alive ones. */
function idLoad(p: Pounce, clients: number, stop: AbortSignal, maxRequests = 50_000): Promise<Sent[]> {
  const sent: Sent[] = [];
  let next = 0;
  const until = Date.now() + 30_000;
  const one = async () => {
    while (!stop.aborted && Date.now() < until && next < maxRequests) {
      const id = next++;
      try {
        const r = await request(p.url("/slow"), { headers: { "x-id": String(id), connection: "close" }, timeoutMs: 5_000 });
        sent.push({
          id,
          ok: r.status === 200,
          pid: Number(r.body),
          at: Date.now(),
          error: r.status === 200 ? undefined : `HTTP ${r.status}`,
        });
      } catch (err) {
        sent.push({ id, ok: false, at: Date.now(), error: (err as { code?: string }).code ?? (err as Error).message });
      }
    }
  };
  return Promise.all(Array.from({ length: clients }, one)).then(() => sent);
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: faults`, () => {
    it("a worker SIGKILLed under load: only requests it held fail, a replacement serves within a second", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "2", "--log-level", "debug"],
        async (p) => {
          const victim = readyPid(p, 0);
          const survivor = readyPid(p, 1);
          const halt = new AbortController();
          const clients = 6;
          const running = idLoad(p, clients, halt.signal);
          const mark = p.output.length;
          await p.waitForCount(/begin \d+ \d+/, 200, { from: mark, timeoutMs: 15_000 });
          const killedAt = Date.now();
          process.kill(victim, "SIGKILL");
          const readyAt = p.arrivedAt(
            await p.waitFor(/Worker 2 \(generation 0\) ready \(pid \d+\)/, { from: mark, timeoutMs: 10_000 }),
          );
          const fresh = readyPid(p, 2);
          // Keep the load on until the replacement has answered, then a little longer.
          const t0 = Date.now();
          while (Date.now() - t0 < 10_000) {
            const done = (await Promise.race([running, new Promise<null>((r) => setTimeout(() => r(null), 50))])) ?? [];
            if (done.length) break;
            if (p.output.includes(`begin ${fresh} `)) break;
          }
          halt.abort();
          const sent = await running;
          const failed = sent.filter((s) => !s.ok);
          const begins = new Map<number, number>();
          for (const m of p.output.matchAll(/begin (\d+) (\d+)/g)) begins.set(Number(m[2]), Number(m[1]));
          // A failed request reached the dead worker's app, or never reached any app (it was queued on
          // the dead worker's listener or connection): never one that a surviving worker began.
          for (const f of failed) {
            const at = begins.get(f.id);
            assert.ok(at === undefined || at === victim, `request ${f.id} failed (${f.error}) though worker pid ${at} took it`);
          }
          assert.ok(failed.length <= clients, `${failed.length} failed, more than the ${clients} requests in flight at the kill`);
          const first = sent.filter((s) => s.ok && s.pid === fresh).sort((a, b) => a.at - b.at)[0];
          assert.ok(first, "the replacement never answered under load");
          const firstMs = first.at - killedAt;
          assert.ok(firstMs <= 1_000 + MARGIN_MS, `replacement's first 200 after ${firstMs} ms`);
          assert.ok(
            sent.some((s) => s.ok && s.pid === survivor && s.at > killedAt),
            "the surviving worker stopped answering",
          );
          console.log(
            `[figures] ${rt.name} SIGKILL: ${sent.length} sent, ${failed.length} failed (${JSON.stringify(
              Object.fromEntries(failed.map((f) => [f.id, f.error])),
            )}), replacement ready after ${readyAt - killedAt} ms, its first 200 after ${firstMs} ms`,
          );
        },
      );
    });

    it("--worker-timeout: a SIGSTOPped worker is killed and replaced within the timeout plus a second", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "2", "--worker-timeout", "1", "--log-level", "debug"],
        async (p) => {
          const victim = readyPid(p, 0);
          const mark = p.output.length;
          const stoppedAt = Date.now();
          process.kill(victim, "SIGSTOP");
          const why = await p.waitFor(/Worker 0 \(generation 0\) sent no heartbeat for \d+\.\ds \(worker_timeout 1\.0s/, {
            from: mark,
            timeoutMs: 10_000,
          });
          const silent = Number(/sent no heartbeat for (\d+\.\d)s/.exec(p.output.slice(mark))?.[1]);
          assert.ok(silent >= 1.0, `killed after ${silent}s of silence, before the timeout`);
          const detectMs = p.arrivedAt(why) - stoppedAt;
          const ready = await p.waitFor("Replacement worker 2 (generation 0) is ready", { from: mark, timeoutMs: 10_000 });
          const replacedMs = p.arrivedAt(ready) - stoppedAt;
          // Silence counts from the last beat, up to one beat interval (250 ms here) before the stop.
          assert.ok(detectMs >= 1_000 - 250 - 100, `killed ${detectMs} ms after the stop`);
          assert.ok(replacedMs <= 2_000 + MARGIN_MS, `replaced after ${replacedMs} ms`);
          await p.waitFor("Worker 0 (generation 0) died (signal SIGKILL)", { from: mark });
          for (let i = 0; i < 20; i++) assert.equal((await request(p.url("/"))).status, 200);
          console.log(`[figures] ${rt.name} SIGSTOP: detected after ${detectMs} ms, replacement ready after ${replacedMs} ms`);
        },
      );
    });

    it("--worker-timeout: a slow asynchronous request (longer than the timeout) never trips it", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "1", "--worker-timeout", "1"],
        async (p) => {
          const r = await request(p.url("/slow?ms=2500"));
          assert.equal(r.status, 200);
          assert.doesNotMatch(p.output, /sent no heartbeat/);
        },
      );
    });

    it("--worker-timeout: an app stuck in while(true){} is killed and replaced, and the log says why", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "1", "--worker-timeout", "1", "--log-level", "debug"],
        async (p) => {
          const mark = p.output.length;
          const stuck = request(p.url("/spin"), { timeoutMs: 15_000 }).catch((e: Error) => e);
          await p.waitFor(/sent no heartbeat for \d+\.\ds \(worker_timeout 1\.0s: stuck or stopped\) — killing it \(SIGKILL\)/, {
            from: mark,
            timeoutMs: 10_000,
          });
          await p.waitFor("Replacement worker 1 (generation 0) is ready", { from: mark, timeoutMs: 10_000 });
          assert.ok((await stuck) instanceof Error, "the request the stuck worker held should fail");
          for (let i = 0; i < 10; i++) assert.equal((await request(p.url("/"))).status, 200);
        },
      );
    });
  });
}

/** Start pounce with its stdout/stderr as given (no log to read): ready once it answers. */
async function startBlind(
  rt: Runtime,
  dir: string,
  stdio: StdioOptions,
  extra: string[] = [],
): Promise<{ proc: ChildProcess; port: number }> {
  const port = await freePort();
  const argv = rt.argv([versionedApp(dir, "v1"), "--workers", "2", "--port", String(port), "--access-log", ...extra]);
  const proc = spawn(argv[0] as string, argv.slice(1), { cwd: dir, stdio, detached: true });
  await waitUntil(
    "pounce answers",
    async () => (await request(`http://127.0.0.1:${port}/`).catch(() => null))?.body === "v1",
    30_000,
  );
  return { proc, port };
}

/** Requests and a reload still work: the new generation answers. */
async function stillServes(proc: ChildProcess, port: number, dir: string): Promise<void> {
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 20; i++) assert.equal((await request(url)).body, "v1");
  // The app's own console.log (versionedApp's /slow), written by the worker to the closed fd.
  for (let i = 0; i < 5; i++) assert.equal((await request(`${url}slow?ms=1`)).body, "v1");
  versionedApp(dir, "v2");
  process.kill(proc.pid as number, "SIGHUP");
  // No log to wait on: the reload is over once only the new generation answers, 20 times in a row.
  await waitUntil(
    "only the reload's generation answers",
    async () => {
      for (let i = 0; i < 20; i++) if ((await request(url)).body !== "v2") return false;
      return true;
    },
    20_000,
  );
  assert.equal(proc.exitCode, null, "pounce exited");
}

async function stopBlind(proc: ChildProcess): Promise<void> {
  const exit = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  process.kill(proc.pid as number, "SIGTERM");
  const code = await Promise.race([exit, sleep(15_000).then(() => "timeout" as const)]);
  try {
    process.kill(-(proc.pid as number), "SIGKILL");
  } catch {}
  assert.equal(code, 0, "pounce did not stop cleanly");
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: a log that cannot be written`, () => {
    it("stdout and stderr pipes closed by their reader: requests and a reload still work", async () => {
      await withTempDir(async (dir) => {
        const { proc, port } = await startBlind(rt, dir, ["ignore", "pipe", "pipe"]);
        proc.stdout?.destroy();
        proc.stderr?.destroy();
        try {
          await stillServes(proc, port, dir);
        } finally {
          await stopBlind(proc);
        }
      });
    });

    it("stdout and stderr on a full disk (/dev/full), JSON logs: requests and a reload still work", async () => {
      await withTempDir(async (dir) => {
        const full = openSync("/dev/full", "w");
        try {
          const { proc, port } = await startBlind(rt, dir, ["ignore", full, full], ["--log-format", "json"]);
          try {
            await stillServes(proc, port, dir);
          } finally {
            await stopBlind(proc);
          }
        } finally {
          closeSync(full);
        }
      });
    });
  });
}
