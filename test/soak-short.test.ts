/**
 * The short soak (issue 14), in the default suite: 6 reloads under load per runtime row (under 60 s for the four rows) — no failed
 * request, the supervisor's open fds flat, its memory not climbing, exactly the worker count at the
 * end. The long one is `npm run soak` (test/_soak.ts, 200 reloads per row).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectedRuntimes } from "./_runtimes.ts";
import { soak, summary } from "./_soak.ts";

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: soak (short)`, () => {
    it("6 reloads under load: 0 failed, fds flat, memory bounded, worker count exact", async () => {
      const f = await soak(rt, 6);
      console.log(`[figures] ${summary(f)}`);
      assert.equal(f.failed, 0, `failed requests: ${JSON.stringify(f.errors)}`);
      assert.ok(f.ok > 100, `only ${f.ok} requests`);
      assert.equal(f.workersAtEnd, f.workers, "worker processes at the end");
      const fdsAfterFirst = f.fds[1] as number;
      assert.ok(Math.max(...f.fds.slice(2)) <= fdsAfterFirst + 2, `open fds grew: ${f.fds.join(",")}`);
      const rss = f.rssKiB;
      assert.ok((rss[rss.length - 1] as number) - (rss[0] as number) < 30 * 1024, `supervisor RSS grew: ${rss.join(",")} KiB`);
    });
  });
}
