/** Graceful shutdown, force-stop, second signal, signals aimed at workers, supervisor killed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Reply,
  request,
  SLOW_STARTED,
  slowRequests,
  startLoad,
  versionedApp,
  waitUntil,
  withPounce,
  withTempDir,
} from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const oneWorker = (dir: string) => [versionedApp(dir, "v1")];
const twoWorkers = (dir: string) => [versionedApp(dir, "v1"), "--workers", "2"];

/** Every reply is a 200 from v1 (slowRequests resolves a failed request with its Error). */
async function allServed(replies: Array<Promise<Reply | Error>>): Promise<void> {
  for (const r of await Promise.all(replies)) {
    assert.ok(!(r instanceof Error), `a request in flight failed: ${r}`);
    assert.equal((r as Reply).status, 200);
    assert.equal((r as Reply).body, "v1");
  }
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: shutdown`, () => {
    it("SIGTERM: slow requests in flight complete with 200, new connections are refused, exit 0, nothing left", async () => {
      await withPounce(rt, twoWorkers, async (p) => {
        const slow = await slowRequests(p, 6, 2000);
        const mark = p.output.length;
        p.signal("SIGTERM");
        await p.waitFor("Received SIGTERM — initiating shutdown", { from: mark });
        await p.waitFor(/draining \d+ active connection\(s\)\.\.\./, { from: mark });
        // Refused within 300 ms of the drain order (a reusePort listener may take that long to
        // close), while the 2 s requests are still in flight.
        const deadline = Date.now() + 300;
        for (;;) {
          const r = await request(p.url("/"), { timeoutMs: 3_000 }).catch((e: Error) => e);
          if (r instanceof Error) {
            assert.match(r.message + String((r as { code?: string }).code), /ECONNREFUSED|ECONNRESET/);
            break;
          }
          assert.ok(Date.now() < deadline, `still accepting new connections 300 ms into the shutdown (${r.status})`);
          await new Promise((res) => setTimeout(res, 20));
        }
        await allServed(slow);
        assert.equal((await p.exited()).code, 0);
        assert.match(p.output, /All workers stopped/);
        // (the fixture asserts exit 0 and that no process of the group is left)
      });
    });

    it("--shutdown-delay 1.5: health answers 503 at once, new and kept-alive requests are served until the drain starts after the delay, exit 0", async () => {
      await withPounce(
        rt,
        (dir) => [...twoWorkers(dir), "--shutdown-delay", "1.5", "--health-check-path", "/health"],
        async (p) => {
          const traffic = startLoad(p.port, { keepAlive: 2, perRequest: 2, durationMs: 10_000 });
          await traffic.seen(20);
          const mark = p.output.length;
          const signalled = Date.now();
          p.signal("SIGTERM");
          await p.waitFor("Health now answers 503; serving for 1.5s more before draining (--shutdown-delay)", { from: mark });
          // Both workers' health (fresh connections land on either) turns 503 while the app still answers.
          let unready = 0;
          await waitUntil("health answers 503 four times in a row", async () => {
            unready = (await request(p.url("/health"))).status === 503 ? unready + 1 : 0;
            return unready >= 4;
          });
          const servedBefore = traffic.result.ok;
          await traffic.until("requests are still served after health turned 503", (r) => r.ok >= servedBefore + 20);
          assert.equal((await request(p.url("/"))).status, 200);
          const result = await traffic.stop();
          assert.equal(result.failed, 0, `requests failed during the delay: ${JSON.stringify(result.errors)}`);
          const drainAt = p.arrivedAt(await p.waitFor("Shutting down 2 worker(s)...", { from: mark }));
          assert.ok(drainAt - signalled >= 1_400, `the drain started ${drainAt - signalled} ms after SIGTERM`);
          assert.equal((await p.exited()).code, 0);
        },
      );
    });

    it("--shutdown-timeout 1 with a 10 s request: exits within ~1.5 s, stragglers force-stopped and logged", async () => {
      await withPounce(
        rt,
        (dir) => [...oneWorker(dir), "--shutdown-timeout", "1"],
        async (p) => {
          const [slow] = await slowRequests(p, 1, 10_000);
          const started = Date.now();
          p.signal("SIGTERM");
          const { code } = await p.exited(10_000);
          const took = Date.now() - started;
          assert.equal(code, 0);
          assert.ok(took < 2_500, `took ${took} ms`);
          assert.match(p.output, /Worker \d+ did not stop within shutdown_timeout \(1\.0s\) — force terminating/);
          assert.ok((await slow) instanceof Error);
          assert.deepEqual(p.groupPids(), []);
        },
      );
    });

    for (const second of ["SIGTERM", "SIGINT"] as const) {
      it(`a second ${second} during shutdown stops at once with exit 1`, async () => {
        await withPounce(rt, oneWorker, { exitCode: 1 }, async (p) => {
          const [slow] = await slowRequests(p, 1, 10_000);
          p.signal("SIGTERM");
          await p.waitFor("initiating shutdown");
          const started = Date.now();
          p.signal(second);
          const { code } = await p.exited(5_000);
          assert.equal(code, 1);
          assert.ok(Date.now() - started < 2_000);
          assert.match(p.output, new RegExp(`Received second ${second} — stopping now`));
          await slow;
          // (the fixture asserts that no process of the group is left)
        });
      });
    }

    // Cases without a tight time bound, each on its own process group: two at a time.
    describe("drain order", { concurrency: 2 }, () => {
      it("Ctrl-C (SIGINT to the whole process group) still drains in order: workers obey the supervisor", async () => {
        await withPounce(rt, twoWorkers, async (p) => {
          const slow = await slowRequests(p, 3, 1500);
          p.signalGroup("SIGINT");
          await allServed(slow);
          assert.equal((await p.exited()).code, 0);
          assert.equal(p.count("Received SIGINT — initiating shutdown"), 1);
          assert.doesNotMatch(p.output, /died|force terminating/);
        });
      });

      it("SIGTERM to every process (systemd KillMode=control-group) still drains in order", async () => {
        await withPounce(rt, twoWorkers, async (p) => {
          const slow = await slowRequests(p, 3, 1500);
          const pids = [p.pid, ...p.groupPids()];
          for (const pid of pids) process.kill(pid, "SIGTERM");
          await allServed(slow);
          assert.equal((await p.exited()).code, 0);
          assert.doesNotMatch(p.output, /died|force terminating/);
        });
      });

      it("SIGTERM during a reload stops the starting generation and drains the rest", async () => {
        await withPounce(rt, twoWorkers, async (p, dir) => {
          const [slow] = await slowRequests(p, 1, 1500);
          versionedApp(dir, "v2", `console.log("v2 importing"); await new Promise((r) => setTimeout(r, 5000));`);
          p.signal("SIGHUP");
          await p.waitFor("Spawning 2 worker(s) (generation 1)");
          // Both new workers are importing (stuck for 5 s) when the SIGTERM comes.
          await p.waitForCount("v2 importing", 2);
          p.signal("SIGTERM");
          await allServed([slow as Promise<Reply | Error>]);
          const { code } = await p.exited(10_000);
          assert.equal(code, 0);
          assert.doesNotMatch(p.output, /Graceful reload complete/);
          // (the fixture asserts that no process of the group is left, the stopped generation's included)
        });
      });

      it("SIGHUP during boot runs once boot completes; SIGHUP during shutdown is ignored and logged", async () => {
        await withTempDir(async (dir) => {
          versionedApp(dir, "v1", `console.log("v1 importing"); await new Promise((r) => setTimeout(r, 1500));`);
          await withPounce(rt, [`${dir}/app.ts`], { dir, ready: false }, async (p) => {
            await p.waitFor("Spawning 1 worker(s) (generation 0)");
            await p.waitFor("v1 importing"); // boot is under way: the worker is in its slow import
            versionedApp(dir, "v2");
            p.signal("SIGHUP");
            await p.waitFor("Reload will run once start-up completes");
            await p.waitFor("Graceful reload complete. Running 1 worker(s) on generation 1", { timeoutMs: 15_000 });
            assert.equal((await request(p.url("/"))).body, "v2");
            const mark = p.output.length;
            const slow = request(p.url("/slow?ms=1500"));
            await p.waitFor(SLOW_STARTED, { from: mark });
            p.signal("SIGTERM");
            await p.waitFor("initiating shutdown");
            p.signal("SIGHUP");
            await p.waitFor("Received SIGHUP during shutdown — ignored");
            assert.equal((await slow).status, 200);
            assert.equal((await p.exited()).code, 0);
          });
        });
      });

      it("supervisor killed with SIGKILL: workers finish in-flight work and exit, no orphans", async () => {
        await withPounce(rt, twoWorkers, { exitCode: null, leftoverTimeoutMs: 10_000 }, async (p) => {
          const [slow] = await slowRequests(p, 1, 1500);
          p.signal("SIGKILL");
          const r = await slow;
          assert.ok(!(r instanceof Error), `the request in flight failed: ${r}`);
          assert.equal(r.status, 200);
          assert.equal(r.body, "v1");
          await waitUntil("every worker exited", () => p.groupPids().length === 0, 10_000);
          assert.equal((await p.exited()).signal, "SIGKILL");
        });
      });
    });
  });
}
