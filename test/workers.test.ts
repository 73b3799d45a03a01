/** Worker failures: crashes are replaced with back-off; fatal errors outside requests drain the worker. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { request, startLoad, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const CRASHY = `export default {
  fetch(request: Request): Response {
    const path = new URL(request.url).pathname;
    if (path === "/exit") process.exit(1);
    if (path === "/reject") {
      setTimeout(() => { Promise.reject(new Error("background boom")); }, 10);
      return new Response("scheduled");
    }
    return new Response("ok");
  },
};
`;

const crashy = (workers: string) => (dir: string) => [writeApp(dir, "app.ts", CRASHY), "--workers", workers];

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: worker failures`, () => {
    it("a worker that exits mid-request is replaced; everything else keeps serving; a crash loop backs off", async (t) => {
      await withPounce(rt, crashy("2"), async (p) => {
        const running = startLoad(p.port, { keepAlive: 4, perRequest: 0, durationMs: 20_000 });
        await running.seen(100);
        const mark = p.output.length;
        await assert.rejects(request(p.url("/exit")));
        await p.waitFor(/Worker \d+ \(generation 0\) died/, { from: mark });
        await p.waitFor(/Replacement worker \d+ \(generation 0\) is ready/, { from: mark, timeoutMs: 5_000 });
        // Load on after the replacement is ready, so it is seen serving too.
        await running.seen(running.result.ok + running.result.failed + 100);
        const result = await running.stop();
        t.diagnostic(`${result.ok} ok / ${result.failed} failed around the crash`);
        // Only requests that were on the dying worker's sockets may fail.
        assert.ok(result.ok > 100);
        assert.ok(result.failed <= 4, JSON.stringify(result.errors));
        assert.equal((await request(p.url("/"))).body, "ok");
        // Crash loop: keep killing workers until the back-off shows; the delays must grow, not spin.
        const backoff = /next replacement in [1-9]\d*\.\ds|next replacement in 0\.[2-9]s/;
        const deadline = Date.now() + 10_000;
        while (!backoff.test(p.output.slice(mark))) {
          assert.ok(Date.now() < deadline, `no growing back-off within 10 s:\n${p.output.slice(mark)}`);
          await request(p.url("/exit"), { timeoutMs: 1_000 }).catch(() => {});
          await new Promise((r) => setTimeout(r, 50)); // spacing of the kill attempts
        }
        const delays = [...p.output.slice(mark).matchAll(/next replacement in (\d+\.\d)s/g)].map((m) => Number(m[1]));
        for (let i = 1; i < delays.length; i++) assert.ok((delays[i] as number) >= (delays[i - 1] as number));
      });
    });

    it("with --workers 1, the only worker's replacement serves within 3 s; connections are refused, never swallowed", async (t) => {
      await withPounce(rt, crashy("1"), async (p) => {
        const mark = p.output.length;
        const died = Date.now();
        await request(p.url("/exit")).catch(() => {});
        let served = 0;
        const failures: Record<string, number> = {};
        for (;;) {
          try {
            if ((await request(p.url("/"), { timeoutMs: 1_000 })).status === 200) {
              served = Date.now();
              break;
            }
          } catch (err) {
            const key = (err as { code?: string }).code ?? (err as Error).message;
            failures[key] = (failures[key] ?? 0) + 1;
          }
          assert.ok(Date.now() - died < 10_000, "never served again");
          await new Promise((r) => setTimeout(r, 5)); // polling interval of the probe
        }
        const readyAt = p.arrivedAt(await p.waitFor(/Replacement worker \d+ \(generation 0\) is ready/, { from: mark }));
        t.diagnostic(
          `service gap after the only worker died: ${served - died} ms (${served - readyAt} ms after the replacement was ready); failed attempts: ${JSON.stringify(failures)}`,
        );
        // The gap is the replacement's start-up: it serves as soon as it is ready.
        assert.ok(served - readyAt < 500, `served ${served - readyAt} ms after the replacement was ready`);
        assert.ok(served - died < 3_000, `service gap ${served - died} ms`);
        assert.ok(!failures["client timeout"], "a connection was swallowed instead of refused");
      });
    });

    it("an unhandled rejection outside a request is logged and the worker is replaced through a drain", async () => {
      await withPounce(rt, crashy("1"), async (p) => {
        const running = startLoad(p.port, { keepAlive: 4, perRequest: 1, durationMs: 20_000 });
        await running.seen(100);
        const mark = p.output.length;
        assert.equal((await request(p.url("/reject"))).body, "scheduled");
        await p.waitFor(/Uncaught error outside a request: .*background boom/, { from: mark });
        await p.waitFor(/Worker 1 replaces worker 0, which is now draining/, { from: mark });
        await p.waitFor("Worker 0 (generation 0) is idle", { from: mark });
        // Load on a little past the drain, onto the replacement.
        await running.seen(running.result.ok + running.result.failed + 100);
        const result = await running.stop();
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        assert.doesNotMatch(p.output, /died/);
      });
    });
  });
}
