/**
 * Recycling (issue 14): --max-requests (with --max-requests-jitter) and --max-worker-memory replace a
 * worker through the zero-downtime path — the replacement starts, the old worker drains once it is
 * ready — with no failed request under load.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { request, startLoad, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const APP = `const kept: Uint8Array[] = [];
export default {
  fetch(request: Request): Response {
    if (new URL(request.url).pathname === "/grow") kept.push(new Uint8Array(200 * 1024 * 1024).fill(1));
    return new Response(String(process.pid));
  },
};
`;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: recycling`, () => {
    it("--max-requests with jitter: workers are recycled under load with 0 failed requests", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "2", "--max-requests", "150", "--max-requests-jitter", "20"],
        async (p) => {
          const mark = p.output.length;
          const load = startLoad(p.port, { keepAlive: 3, perRequest: 3, durationMs: 30_000, maxRequests: 20_000 });
          // Three recycles, each fully handed over (the old worker drained to idle).
          await p.waitForCount(/Worker \d+ \(generation 0\) served \d+ requests \(max_requests 1[5-7]\d\) — recycling/, 3, {
            from: mark,
            timeoutMs: 25_000,
          });
          await p.waitForCount(/Worker \d+ replaces worker \d+, which is now draining/, 3, { from: mark, timeoutMs: 20_000 });
          await p.waitForCount(/Worker \d+ \(generation 0\) is idle/, 3, { from: mark, timeoutMs: 20_000 });
          const r = await load.stop();
          assert.equal(r.failed, 0, `failed requests: ${JSON.stringify(r.errors)}`);
          assert.ok(r.ok > 450, `only ${r.ok} requests`);
          for (const m of p.output.slice(mark).matchAll(/served (\d+) requests \(max_requests (\d+)\)/g))
            assert.equal(m[1], m[2], "recycled at another count than its limit");
          const pids = new Set(r.responses.map((x) => x.body));
          assert.ok(pids.size >= 4, `answers came from only ${pids.size} worker processes`);
          console.log(`[figures] ${rt.name} max-requests: ${r.ok} ok, ${r.failed} failed, ${pids.size} worker pids answered`);
        },
      );
    });

    it("--max-worker-memory: a worker past the bound is recycled the same way, 0 failed requests", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "1", "--max-worker-memory", "150"],
        async (p) => {
          const mark = p.output.length;
          const load = startLoad(p.port, { keepAlive: 2, perRequest: 2, durationMs: 30_000, maxRequests: 20_000 });
          await load.seen(50);
          const before = (await request(p.url("/grow"))).body;
          await p.waitFor(/Worker 0 \(generation 0\) uses \d+ MiB of memory \(max_worker_memory 150 MiB\) — recycling/, {
            from: mark,
            timeoutMs: 10_000,
          });
          await p.waitFor("Worker 1 replaces worker 0, which is now draining", { from: mark, timeoutMs: 15_000 });
          await p.waitFor("Worker 0 (generation 0) is idle", { from: mark, timeoutMs: 15_000 });
          const r = await load.stop();
          assert.equal(r.failed, 0, `failed requests: ${JSON.stringify(r.errors)}`);
          assert.notEqual((await request(p.url("/"))).body, before, "still answered by the recycled worker");
        },
      );
    });
  });
}
