/** --reload-batch: workers replaced N at a time under load, a bad deploy caught by the first batch. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { liveChildren, samplePeak } from "./_children.ts";
import {
  Pounce,
  type RunningLoad,
  request,
  startLoad,
  versionedApp,
  waitUntil,
  withPounce,
  withTempDir,
  writeApp,
} from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const batched = (dir: string) => [versionedApp(dir, "v1"), "--workers", "3", "--reload-batch", "1"];

/** Load on past `since` (a log line's arrival), so what serves after it is seen; then stop. */
async function finish(running: RunningLoad, since: number) {
  const from = running.result.responses.length;
  await running.until(
    "300 responses after the reload settled",
    (r) => r.responses.length >= from + 300 && (r.responses.at(-1)?.at ?? 0) > since + 200,
  );
  return running.stop();
}

/** The index of each line in the log from `mark` on, in order; fails naming the first one missing or out of order. */
function inOrder(p: Pounce, mark: number, lines: string[]): void {
  let at = mark;
  for (const line of lines) {
    const i = p.output.indexOf(line, at);
    assert.ok(i >= 0, `missing or out of order: ${line}\n${p.output.slice(mark)}`);
    at = i + line.length;
  }
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: reload in batches`, () => {
    it("--reload-batch 1 replaces 3 workers one at a time under load: 0 failed, never more than 4 workers", async (t) => {
      await withPounce(rt, batched, async (p, dir) => {
        const running = startLoad(p.port, { keepAlive: 16, perRequest: 2, durationMs: 60_000 });
        await running.seen(200);
        versionedApp(dir, "v2");
        const mark = p.output.length;
        const peak = samplePeak(p.pid);
        p.signal("SIGHUP");
        const done = await p.waitFor("Graceful reload complete. Running 3 worker(s) on generation 1", {
          from: mark,
          timeoutMs: 40_000,
        });
        const most = peak.stop();
        const result = await finish(running, p.arrivedAt(done));
        t.diagnostic(`${result.ok} ok, ${result.failed} failed; at most ${most} workers at once`);
        inOrder(p, mark, [
          "Starting batch 1 of 3 (1 worker(s), generation 1)...",
          "Successfully reimported app from",
          "Batch 1 of 3 ready (generation 1); draining 1 old worker(s) (generation 0) before the next batch",
          "Starting batch 2 of 3 (1 worker(s), generation 1)...",
          "Batch 2 of 3 ready (generation 1); draining 1 old worker(s) (generation 0) before the next batch",
          "Starting batch 3 of 3 (1 worker(s), generation 1)...",
          "New workers spawned. Draining old workers (generation 0)...",
          "Graceful reload complete",
        ]);
        assert.deepEqual(result.errors, {});
        assert.equal(result.failed, 0);
        assert.ok(most <= 4, `${most} workers ran at once (3 old + a batch of 1 is the most)`);
        assert.ok(most >= 3);
        const late = result.responses.filter((r) => r.at > p.arrivedAt(done) + 50);
        assert.ok(late.length > 0);
        for (const r of late) assert.equal(r.body, "v2", "old code served after the reload completed");
        assert.equal(liveChildren(p.pid).length, 3);
      });
    });

    it("--reload-batch with --reload-strategy restart exits 2 with one line naming both", async () => {
      await withTempDir(async (dir) => {
        const args = [versionedApp(dir, "v1"), "--reload-batch", "1", "--reload-strategy", "restart"];
        const p = await Pounce.start(rt, args, { ready: false });
        try {
          const exit = await p.exited(20_000);
          assert.equal(exit.code, 2, p.output);
          const lines = p.output.trim().split("\n");
          assert.equal(lines.length, 1, p.output);
          assert.match(
            lines[0] as string,
            /^pounce: error: --reload-batch needs overlapping reloads, and --reload-strategy restart/,
          );
        } finally {
          p.kill();
        }
      });
    });

    it("a bad deploy is caught by the first batch: nothing else changes, 0 failed", async () => {
      await withPounce(rt, batched, async (p, dir) => {
        const running = startLoad(p.port, { keepAlive: 8, perRequest: 2, durationMs: 30_000 });
        await running.seen(100);
        const before = liveChildren(p.pid).sort();
        writeApp(dir, "app.ts", "export default { fetch( {\n");
        const mark = p.output.length;
        p.signal("SIGHUP");
        const failed = await p.waitFor(/Reload failed — continuing with previous version: .*failed to import/, { from: mark });
        const result = await finish(running, p.arrivedAt(failed));
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        assert.ok(result.responses.every((r) => r.body === "v1"));
        const log = p.output.slice(mark);
        assert.doesNotMatch(log, /Batch 1 of 3 ready|draining|Draining/);
        await waitUntil("the failed batch's worker is gone", () => liveChildren(p.pid).length === 3, 5_000);
        assert.deepEqual(liveChildren(p.pid).sort(), before, "an old worker was stopped or replaced");
      });
    });

    it("a batch after the first that fails puts the old generation back before the new workers drain, 0 failed", async () => {
      // The app numbers its imports (mkdir is atomic, so the boot workers importing at once never
      // share a number): the 5th (boot 3, batch 1, then batch 2) throws; every other one starts,
      // the old generation's replacement included.
      const app = (dir: string) =>
        writeApp(
          dir,
          "app.ts",
          `import { mkdirSync } from "node:fs";
const dir = ${JSON.stringify(join(dir, "imports"))};
mkdirSync(dir, { recursive: true });
let n = 0;
for (;; n++) {
  try {
    mkdirSync(dir + "/" + n);
    break;
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
  }
}
if (n === 4) throw new Error("start number 5 fails");
export default { fetch: () => new Response(n < 3 ? "v1" : "v2") };
`,
        );
      await withPounce(
        rt,
        (dir) => [app(dir), "--workers", "3", "--reload-batch", "1"],
        async (p) => {
          const running = startLoad(p.port, { keepAlive: 8, perRequest: 2, durationMs: 40_000 });
          await running.seen(100);
          const mark = p.output.length;
          p.signal("SIGHUP");
          const back = await p.waitFor(
            "Previous version back at 3 worker(s) (generation 0); draining the workers of generation 1",
            { from: mark, timeoutMs: 30_000 },
          );
          inOrder(p, mark, [
            "Batch 1 of 3 ready (generation 1)",
            "Starting batch 2 of 3 (1 worker(s), generation 1)...",
            "Reload failed in batch 2 of 3 — continuing with previous version (its workers start again, then generation 1's drain)",
            "Previous version back at 3 worker(s)",
          ]);
          await p.waitFor(/Worker \d+ \(generation 1\) is idle/, { from: back });
          const result = await finish(running, p.arrivedAt(back));
          assert.deepEqual(result.errors, {});
          assert.equal(result.failed, 0);
          await waitUntil("3 workers", () => liveChildren(p.pid).length === 3, 5_000);
          assert.equal((await request(p.url("/"))).status, 200);
        },
      );
    });
  });
}
