/** SIGTTIN / SIGTTOU: one worker more or fewer on a running server, under load, on every runtime row. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { catchesSignal, liveChildren } from "./_children.ts";
import { Pounce, request, startLoad, stopPounce, versionedApp, waitUntil, withPounce, withTempDir } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const SIGTTIN = 21;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: workers on the fly`, () => {
    it("SIGTTIN adds a worker that serves, SIGTTOU drains one (never below 1), 0 failed; the count holds across a reload", async (t) => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2", "--health-check-path", "/health"],
        async (p, dir) => {
          const running = startLoad(p.port, { keepAlive: 8, perRequest: 2, durationMs: 60_000 });
          await running.seen(100);
          let mark = p.output.length;
          p.signal("SIGTTIN");
          await p.waitFor("Worker count 2 → 3 (SIGTTIN): starting worker 2", { from: mark });
          await p.waitFor("Worker 2 (generation 0) is ready — 3 worker(s)", { from: mark });
          assert.equal(liveChildren(p.pid).length, 3);
          // It takes connections: health over new connections names the worker that answered.
          await waitUntil(
            "the added worker answers",
            async () => JSON.parse((await request(p.url("/health"))).body).worker === 2,
            10_000,
          );
          mark = p.output.length;
          p.signal("SIGTTOU");
          await p.waitFor("Worker count 3 → 2 (SIGTTOU): draining worker 0", { from: mark });
          await p.waitFor("Worker 0 (generation 0) is idle", { from: mark });
          mark = p.output.length;
          p.signal("SIGTTOU");
          await p.waitFor("Worker count 2 → 1 (SIGTTOU): draining worker 1", { from: mark });
          await p.waitFor("Worker 1 (generation 0) is idle", { from: mark });
          mark = p.output.length;
          p.signal("SIGTTOU");
          await p.waitFor("Worker count stays at 1 (SIGTTOU): never below 1", { from: mark });
          await waitUntil("one worker left", () => liveChildren(p.pid).length === 1, 5_000);
          // A reload keeps the count the signals set.
          versionedApp(dir, "v2");
          mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Spawning 1 worker(s) (generation 1)...", { from: mark });
          await p.waitFor("Graceful reload complete. Running 1 worker(s) on generation 1", { from: mark });
          await running.seen(running.result.ok + running.result.failed + 100);
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed across 2 → 3 → 1 workers and a reload`);
          assert.deepEqual(result.errors, {});
          assert.equal(result.failed, 0);
          assert.equal((await request(p.url("/"))).body, "v2");
          assert.equal(liveChildren(p.pid).length, 1);
          assert.doesNotMatch(p.output, /died|Replacement worker/);
        },
      );
    });

    it("a SIGTTIN sent while pounce is still starting is kept and applied once it is ready", async () => {
      await withTempDir(async (dir) => {
        const p = await Pounce.start(rt, [versionedApp(dir, "v1"), "--workers", "1"], { ready: false });
        try {
          await waitUntil("pounce catches SIGTTIN", () => catchesSignal(p.pid, SIGTTIN), 10_000);
          p.signal("SIGTTIN");
          // Caught from bin/pounce.mjs's first statement and handed to the supervisor once it is up
          // (before or after Ready: on Bun the first worker can be ready within 20 ms).
          await p.waitFor("Ready to accept connections");
          await p.waitFor("Worker count 1 → 2 (SIGTTIN): starting worker 1");
          await p.waitFor("Worker 1 (generation 0) is ready — 2 worker(s)");
        } finally {
          await stopPounce(p);
        }
      });
    });
  });
}
