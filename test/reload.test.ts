/** Rolling reload: zero failed requests under load, bad deploys, the readiness gate, timeouts, storms. */
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import {
  processesInGroup,
  request,
  slowRequests,
  startLoad,
  versionedApp,
  waitUntil,
  withPounce,
  withTempDir,
  writeApp,
} from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/**
 * Back-to-back reloads under load in the SIGHUP case; raise it for a soak run. SIGUSR1 runs the same
 * reload path, so one reload under the same load proves the signal (the old suite ran 2).
 */
const RELOADS = Number(process.env.POUNCE_TEST_RELOADS ?? 3);

const twoWorkers = (dir: string) => [versionedApp(dir, "v1"), "--workers", "2"];

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: reload`, () => {
    for (const signal of ["SIGHUP", "SIGUSR1"] as const) {
      it(`${signal} under keep-alive and per-connection load: zero failed requests, consistent versions`, async (t) => {
        await withPounce(rt, twoWorkers, async (p, dir) => {
          const deploys = signal === "SIGHUP" ? RELOADS : 1;
          const running = startLoad(p.port, { keepAlive: 32, perRequest: 4, durationMs: 60_000 });
          await running.seen(200);
          // Back to back: each deploy as soon as the previous reload completed, under the same load.
          let version = 1;
          for (let i = 0; i < deploys; i++) {
            version++;
            versionedApp(dir, `v${version}`);
            const mark = p.output.length;
            p.signal(signal);
            await p.waitFor(`Running 2 worker(s) on generation ${version - 1}`, { from: mark, timeoutMs: 30_000 });
          }
          const finalCompleteAt = Date.now();
          // Go on loading after the last reload completed: the window in which old code must not answer.
          const tailFrom = running.result.responses.length;
          await running.until(
            "1000 responses after the last reload",
            (r) => r.responses.length >= tailFrom + 1000 && (r.responses.at(-1)?.at ?? 0) > finalCompleteAt + 200,
          );
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed, ${deploys} reloads`);
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);
          assert.ok(result.ok > 500, `only ${result.ok} requests completed`);
          const known = new Set(Array.from({ length: version }, (_, i) => `v${i + 1}`));
          for (const r of result.responses) assert.ok(known.has(r.body), `unexpected body ${r.body}`);
          const late = result.responses.filter((r) => r.at > finalCompleteAt + 50);
          for (const r of late) assert.equal(r.body, `v${version}`, "old code served after the reload completed");
          for (let i = 0; i < 20; i++) assert.equal((await request(p.url("/"))).body, `v${version}`);
          assert.equal(p.count(`Received ${signal} — triggering graceful reload`), deploys);
        });
      });
    }

    it("bad deploy (syntax error, then no fetch) keeps the old version serving; a later good deploy works", async () => {
      await withPounce(rt, twoWorkers, async (p, dir) => {
        const running = startLoad(p.port, { keepAlive: 8, perRequest: 2, durationMs: 30_000 });
        await running.seen(100);
        writeApp(dir, "app.ts", "export default { fetch( {\n");
        let mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*failed to import/, { from: mark });
        writeApp(dir, "app.ts", "export default { notFetch() {} };\n");
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*no fetch handler/, { from: mark });
        await running.seen(running.result.ok + running.result.failed + 100);
        const result = await running.stop();
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        assert.ok(result.responses.every((r) => r.body === "v1"));
        versionedApp(dir, "v2");
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 3", { from: mark });
        assert.equal((await request(p.url("/"))).body, "v2");
      });
    });

    it("readiness gate: old workers drain only after every new worker is ready", async () => {
      await withPounce(
        rt,
        (dir) => [...twoWorkers(dir), "--log-level", "debug"],
        async (p, dir) => {
          // The new generation takes 1.5 s to import: v1 must serve all that time (the 1.2 s load is
          // elapsed time on purpose, inside that window).
          versionedApp(dir, "v2", "await new Promise((r) => setTimeout(r, 1500));");
          const mark = p.output.length;
          const running = startLoad(p.port, { keepAlive: 4, perRequest: 1, durationMs: 1_200 });
          p.signal("SIGHUP");
          const result = await running.done;
          assert.equal(result.failed, 0);
          assert.ok(
            result.responses.every((r) => r.body === "v1"),
            "v2 served before it was ready",
          );
          await p.waitFor("Graceful reload complete", { from: mark });
          const log = p.output.slice(mark);
          const draining = log.indexOf("Draining old workers (generation 0");
          assert.ok(draining >= 0, "no Draining old workers line");
          const readies = [...log.matchAll(/Worker \d+ \(generation 1\) ready/g)].map((m) => m.index ?? 0);
          assert.equal(readies.length, 2);
          for (const i of readies) assert.ok(i < draining, "a generation-0 worker drained before generation 1 was ready");
        },
      );
    });

    it("--reload-stagger: old workers drain one at a time, that far apart; the reload completes after the last", async () => {
      await withTempDir(async (dir) => {
        const app = versionedApp(dir, "v1");
        const drainTimes = (stagger: string) =>
          withPounce(rt, [app, "--workers", "3", "--reload-stagger", stagger, "--log-format", "json"], { dir }, async (p) => {
            const mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor('"event":"reload_complete"', { from: mark, timeoutMs: 30_000 });
            const records = p.output
              .slice(mark)
              .split("\n")
              .filter((l) => l.trim())
              .map((l) => JSON.parse(l) as { time: string; event: string });
            const at = (r: { time: string }) => Date.parse(r.time);
            const drains = records.filter((r) => r.event === "worker_draining").map(at);
            const complete = at(records.find((r) => r.event === "reload_complete") as { time: string });
            return { drains: drains.sort((a, b) => a - b), complete };
          });
        const staggered = await drainTimes("0.8");
        assert.equal(staggered.drains.length, 3, "each old worker logs its drain once");
        const [a, b, c] = staggered.drains as [number, number, number];
        assert.ok(b - a >= 700 && c - b >= 700, `drains not 0.8 s apart: ${b - a} ms, ${c - b} ms`);
        assert.ok(staggered.complete >= c, "reload complete before the last old worker drained");
        const together = await drainTimes("0");
        const spread = (together.drains.at(-1) as number) - (together.drains[0] as number);
        assert.ok(spread < 500, `--reload-stagger 0 should drain all at once, spread ${spread} ms`);
      });
    });

    // Cases without a load or a tight time bound, each on its own server: side by side.
    describe("without load", { concurrency: 2 }, () => {
      it("a new generation that crashes at start or misses --startup-timeout is rolled back", async () => {
        await withPounce(
          rt,
          // 4 s: generation 0 starts under the same bound, and a Node 20 worker on a loaded machine took 2.
          (dir) => [...twoWorkers(dir), "--startup-timeout", "4"],
          async (p, dir) => {
            versionedApp(dir, "v2", "if (true) process.exit(3);");
            let mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor(/Reload failed — continuing with previous version: .*exit/, { from: mark });
            assert.equal((await request(p.url("/"))).body, "v1");
            versionedApp(dir, "v3", "await new Promise((r) => setTimeout(r, 30000));");
            mark = p.output.length;
            const started = Date.now();
            p.signal("SIGHUP");
            await p.waitFor(/Reload failed — continuing with previous version: .*startup_timeout \(4\.0s\)/, { from: mark });
            assert.ok(Date.now() - started < 10_000);
            assert.equal((await request(p.url("/"))).body, "v1");
          },
        );
      });

      it("one keep-alive client sending back-to-back across 3 reloads sees no error", async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          await withPounce(rt, twoWorkers, async (p, dir) => {
            let stop = false;
            let ok = 0;
            const errors: string[] = [];
            const client = (async () => {
              while (!stop) {
                try {
                  const r = await request(p.url("/"), { agent, timeoutMs: 10_000 });
                  if (r.status === 200) ok++;
                  else errors.push(`HTTP ${r.status}`);
                } catch (err) {
                  errors.push(String((err as Error).message));
                }
              }
            })();
            // Between reloads the client goes on on its (possibly new) socket: 20 more replies each time.
            const more = async (n: number) => {
              const target = ok + n;
              const deadline = Date.now() + 10_000;
              while (ok < target && errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
            };
            for (let i = 1; i <= 3; i++) {
              await more(20);
              versionedApp(dir, `v${i + 1}`);
              const mark = p.output.length;
              p.signal("SIGHUP");
              await p.waitFor(`Running 2 worker(s) on generation ${i}`, { from: mark });
            }
            await more(20);
            stop = true;
            await client;
            assert.deepEqual(errors, []);
            assert.ok(ok > 50, `only ${ok} requests`);
          });
        } finally {
          agent.destroy();
        }
      });
    });

    it("--reload-timeout force-stops an old worker still busy; new code serves at once", async () => {
      await withPounce(
        rt,
        (dir) => [...twoWorkers(dir), "--reload-timeout", "1"],
        async (p, dir) => {
          const [slow] = await slowRequests(p, 1, 10_000);
          versionedApp(dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("New workers spawned", { from: mark });
          const servedAt = Date.now();
          // On reusePort runtimes an old listener may take a few ms to get its drain order.
          while ((await request(p.url("/"))).body !== "v2") {
            assert.ok(Date.now() - servedAt < 1_000, "new code did not take over at once");
            await new Promise((r) => setTimeout(r, 10));
          }
          await p.waitFor(/did not stop within reload_timeout \(1\.0s\) — force terminating/, { from: mark });
          await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 1", { from: mark });
          assert.ok(Date.now() - servedAt < 4_000, "force-stop took too long");
          assert.ok((await slow) instanceof Error, "the 10 s request should have been cut");
          if (rt.workerProcesses) {
            // The force-stopped worker may take a moment to be reaped after the reload completed.
            await waitUntil("2 workers remain", () => p.groupPids().length === 2, 2_000).catch(() => {});
            assert.equal(p.groupPids().length, 2, "worker count did not return to 2");
          }
        },
      );
    });

    it("signal storm: 10 SIGHUPs 100 ms apart coalesce; newest code serves; exactly N workers remain", async () => {
      await withPounce(rt, twoWorkers, async (p, dir) => {
        const running = startLoad(p.port, { keepAlive: 8, perRequest: 2, durationMs: 30_000 });
        await running.seen(50);
        for (let i = 2; i <= 11; i++) {
          versionedApp(dir, `v${i}`);
          p.signal("SIGHUP");
          await new Promise((r) => setTimeout(r, 100)); // the storm's spacing: elapsed time on purpose
        }
        // Settled: once v11 serves, every signal sent has reached the supervisor; a generation started
        // after the last one received (it took any pending reload), and that reload completed. (Not
        // "10 received": the kernel merges a SIGHUP sent while the previous one is still pending, as
        // when a busy machine does not run the supervisor for 100 ms; seen once in CI.)
        await waitUntil("v11 serves", async () => (await request(p.url("/"))).body === "v11", 30_000);
        const lastSignal = p.output.lastIndexOf("Received SIGHUP — triggering graceful reload");
        const spawnAfter = await p.waitFor(/Spawning 2 worker\(s\) \(generation \d+\)/, { from: lastSignal });
        await p.waitFor(/Graceful reload complete|Reload failed/, { from: spawnAfter });
        const received = p.count("Received SIGHUP — triggering graceful reload");
        assert.ok(received >= 1 && received <= 10, `${received} SIGHUPs received of 10`);
        const result = await running.stop();
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        const reloads = p.count("Spawning 2 worker(s) (generation") - 1;
        assert.ok(reloads >= 1 && reloads <= 3, `${reloads} reloads for 10 signals`);
        // At most one generation starts at a time: each start settles before the next begins.
        const log = p.output
          .split("\n")
          .filter((l) => /Spawning 2 worker|Ready to accept|Successfully reimported|Reload failed/.test(l));
        for (let i = 1; i < log.length; i++)
          if ((log[i] as string).includes("Spawning")) assert.doesNotMatch(log[i - 1] as string, /Spawning/, log.join("\n"));
        assert.doesNotMatch(p.output.slice(spawnAfter), /Spawning/, "a reload started after the storm had settled");
        if (rt.workerProcesses) {
          // The last drained workers exit just after reporting idle: give them a moment to be reaped.
          await waitUntil("2 workers remain", () => p.groupPids().length <= 2, 3_000).catch(() => {});
          assert.equal(p.groupPids().length, 2, JSON.stringify(processesInGroup(p.pid)));
        }
        for (let i = 0; i < 10; i++) assert.equal((await request(p.url("/"))).body, "v11");
      });
    });
  });
}
