/** Worker failures: crashes are replaced with back-off; fatal errors outside requests drain the worker. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanup, load, Pounce, request, sleep, tempDir, writeApp } from "./_harness.ts";
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

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: worker failures`, () => {
    it("a worker that exits mid-request is replaced; everything else keeps serving; a crash loop backs off", async (t) => {
      const dir = tempDir();
      writeApp(dir, "app.ts", CRASHY);
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        const running = load(p.port, { keepAlive: 4, perRequest: 0, durationMs: 2_500 });
        await sleep(300);
        const mark = p.output.length;
        await assert.rejects(request(p.url("/exit")));
        await p.waitFor(/Worker \d+ \(generation 0\) died/, { from: mark });
        await p.waitFor(/Replacement worker \d+ \(generation 0\) is ready/, { from: mark, timeoutMs: 5_000 });
        const result = await running;
        t.diagnostic(`${result.ok} ok / ${result.failed} failed around the crash`);
        // Only requests that were on the dying worker's sockets may fail.
        assert.ok(result.ok > 100);
        assert.ok(result.failed <= 4, JSON.stringify(result.errors));
        assert.equal((await request(p.url("/"))).body, "ok");
        // Crash loop: keep killing workers; delays must grow instead of spinning.
        for (let i = 0; i < 4; i++) {
          await request(p.url("/exit")).catch(() => {});
          await sleep(150);
        }
        await p.waitFor(/next replacement in [1-9]\d*\.\ds|next replacement in 0\.[2-9]s/, { from: mark, timeoutMs: 10_000 });
        const delays = [...p.output.slice(mark).matchAll(/next replacement in (\d+\.\d)s/g)].map((m) => Number(m[1]));
        for (let i = 1; i < delays.length; i++) assert.ok((delays[i] as number) >= (delays[i - 1] as number));
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("with --workers 1, the gap while the only worker is replaced is short (measured)", async (t) => {
      const dir = tempDir();
      writeApp(dir, "app.ts", CRASHY);
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "1"]);
      try {
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
          await sleep(5);
        }
        t.diagnostic(`service gap after the only worker died: ${served - died} ms; failed attempts: ${JSON.stringify(failures)}`);
        assert.ok(served - died < 3_000);
        assert.ok(!failures["client timeout"], "a connection was swallowed instead of refused");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("an unhandled rejection outside a request is logged and the worker is replaced through a drain", async () => {
      const dir = tempDir();
      writeApp(dir, "app.ts", CRASHY);
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "1"]);
      try {
        const running = load(p.port, { keepAlive: 4, perRequest: 1, durationMs: 2_500 });
        await sleep(200);
        const mark = p.output.length;
        assert.equal((await request(p.url("/reject"))).body, "scheduled");
        await p.waitFor(/Uncaught error outside a request: .*background boom/, { from: mark });
        await p.waitFor(/Worker 1 replaces worker 0, which is now draining/, { from: mark });
        await p.waitFor("Worker 0 (generation 0) is idle", { from: mark });
        const result = await running;
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        assert.doesNotMatch(p.output, /died/);
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });
  });
}
