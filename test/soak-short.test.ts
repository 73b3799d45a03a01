/**
 * The short soak (issues 14 and 15), in the default suite: 6 reloads under load per runtime row —
 * no failed request, exactly the worker count at the end, and nothing of the finished generations
 * kept by the supervisor, measured after reload 2 (the first reloads warm the runtime up) and after
 * the last one. The supervisor runs through bench/tools/supervisor-memory-probe.mjs, which collects
 * garbage and reports its JS heap and listener counts. The bounds, from the 400-reload runs in
 * bench/FINDINGS.md ("Supervisor RSS across reloads"):
 * - listeners on `process` (and Node's `cluster`): equal. They are the same count at every reload on
 *   every row; a listener added per worker and never removed adds 2 per reload here (4 reloads × 2
 *   workers: seen with one injected).
 * - open fds: at most 2 above the first sample (a closing pipe can still be counted).
 * - JS heap after a full collection: under 1 MiB more (256 KiB per reload). Measured here 40–70 KiB per
 *   reload (compiled code while the runtime warms up; 0.02–0.47 KiB per reload from reload 200 on).
 *   Small per-worker leaks (a worker record and its handle kept per worker: +23 KiB per reload on Node 24 with 2 workers, injected once) are for the unit test
 *   (test/unit/supervisor-retention.test.ts) and the long soak's heap slope; this bound fails a leak of
 *   a generation's module text, an IPC buffer or a history of responses.
 * - anonymous memory (smaps_rollup): under 8 MiB more. Measured 0.4–0.8 MiB; the file-backed part of
 *   RSS (the runtime's binary paged in as more of its code runs) is left out.
 * The long one is `npm run soak` (test/_soak.ts, 200 reloads per row).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectedRuntimes } from "./_runtimes.ts";
import { soak, summary } from "./_soak.ts";

const RELOADS = 6;
const FROM = 2;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: soak (short)`, () => {
    it(`${RELOADS} reloads under load: 0 failed, worker count exact, listeners, fds, JS heap and anonymous memory bounded`, async () => {
      const f = await soak(rt, RELOADS, { probe: true, checkpoints: [FROM, RELOADS] });
      console.log(`[figures] ${summary(f)}`);
      assert.equal(f.failed, 0, `failed requests: ${JSON.stringify(f.errors)}`);
      assert.ok(f.ok > 100, `only ${f.ok} requests`);
      assert.equal(f.workersAtEnd, f.workers, "worker processes at the end");
      const [a, b] = f.checkpoints as [(typeof f.checkpoints)[0], (typeof f.checkpoints)[0]];
      const seen = `after reload ${FROM} and ${RELOADS}: ${JSON.stringify(f.checkpoints)}`;
      assert.equal(b.listeners, a.listeners, `listeners on process/cluster grew, ${seen}`);
      assert.ok(Math.max(...f.fds.slice(FROM)) <= (f.fds[FROM - 1] as number) + 2, `open fds grew: ${f.fds.join(",")}`);
      assert.ok((b.heapUsed as number) - (a.heapUsed as number) < 1024 * 1024, `JS heap after GC grew by 1 MiB or more, ${seen}`);
      assert.ok(b.anonymous - a.anonymous < 8 * 1024, `anonymous memory grew by 8 MiB or more, ${seen}`);
    });
  });
}
