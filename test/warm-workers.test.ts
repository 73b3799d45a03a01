/**
 * --warm-workers: a reload takes the pre-started workers instead of spawning — under load with zero
 * failed requests, a warm worker's pid becomes a serving worker's, and what it serves is the code as
 * it is at the signal. Node rows: the adapter that has warm workers (Bun and Deno reload by spawning).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ServerState } from "../src/control/state.ts";
import { request, startLoad, versionedApp, waitUntil, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const readState = (pidFile: string): ServerState => JSON.parse(readFileSync(`${pidFile}.state.json`, "utf8"));
const warmPids = (pidFile: string): number[] =>
  (readState(pidFile).warm_workers ?? []).filter((w) => w.state === "waiting").map((w) => w.pid as number);
const servingPids = (pidFile: string, generation: number): number[] =>
  readState(pidFile)
    .workers.filter((w) => w.generation === generation)
    .map((w) => w.pid as number);

/** Until the state file lists `n` warm workers waiting; their pids. */
async function waitingWarm(pidFile: string, n: number, not: number[] = []): Promise<number[]> {
  let pids: number[] = [];
  await waitUntil(`${n} warm workers waiting`, () => {
    try {
      pids = warmPids(pidFile).filter((p) => !not.includes(p));
    } catch {
      return false; // not written yet
    }
    return pids.length === n;
  });
  return pids.sort();
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: warm workers`, () => {
    it("a reload under load takes the warm workers: zero failed requests, their pids serve the new code, the pool is refilled", async (t) => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2", "--warm-workers", "2", "--pid-file", join(dir, "pid")],
        async (p, dir) => {
          const pidFile = join(dir, "pid");
          const warm = await waitingWarm(pidFile, 2);
          const running = startLoad(p.port, { keepAlive: 16, perRequest: 4, durationMs: 30_000 });
          await running.seen(200);
          versionedApp(dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Running 2 worker(s) on generation 1", { from: mark, timeoutMs: 20_000 });
          const completeAt = Date.now();
          assert.deepEqual(servingPids(pidFile, 1).sort(), warm, "the new workers are not the warm ones");
          const tailFrom = running.result.responses.length;
          await running.until("500 responses after the reload", (r) => r.responses.length >= tailFrom + 500);
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed`);
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);
          for (const r of result.responses) assert.ok(r.body === "v1" || r.body === "v2", `unexpected body ${r.body}`);
          for (const r of result.responses.filter((x) => x.at > completeAt + 50)) assert.equal(r.body, "v2");
          // Refilled once the reload completed: two new warm workers, neither of them serving.
          const refill = await waitingWarm(pidFile, 2);
          for (const pid of refill) assert.ok(!warm.includes(pid) && !servingPids(pidFile, 1).includes(pid));
          // And the next reload takes those.
          versionedApp(dir, "v3");
          const mark2 = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Running 2 worker(s) on generation 2", { from: mark2, timeoutMs: 20_000 });
          assert.deepEqual(servingPids(pidFile, 2).sort(), refill);
          assert.equal((await request(p.url("/"))).body, "v3");
        },
      );
    });

    it("serves the code as it is at the signal: a module the app imports, changed after the warm workers were ready", async () => {
      await withPounce(
        rt,
        (dir) => {
          writeApp(dir, "dep.ts", `export const value: string = "before";\n`);
          const app = writeApp(
            dir,
            "app.ts",
            `import { value } from "./dep.ts";\nexport default { fetch: () => new Response(value + " " + process.pid) };\n`,
          );
          return [app, "--workers", "1", "--warm-workers", "1", "--pid-file", join(dir, "pid")];
        },
        async (p, dir) => {
          const pidFile = join(dir, "pid");
          const [warm] = await waitingWarm(pidFile, 1);
          assert.match((await request(p.url("/"))).body, /^before /);
          writeApp(dir, "dep.ts", `export const value: string = "after";\n`);
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Running 1 worker(s) on generation 1", { from: mark, timeoutMs: 20_000 });
          assert.equal((await request(p.url("/"))).body, `after ${warm}`);
        },
      );
    });

    if (rt.name === "bun")
      it("a config-file change of what the spawn fixed (--max-header-size) spawns afresh; the refilled pool is taken next", async () => {
        await withTempDir(async (dir) => {
          versionedApp(dir, "v1");
          const config = (bytes: number) =>
            writeApp(dir, "pounce.config.mjs", `export default { entry: "app.ts", warmWorkers: 1, maxHeaderSize: ${bytes} };\n`);
          config(16_384);
          const pidFile = join(dir, "pid");
          await withPounce(rt, ["--workers", "1", "--pid-file", pidFile], { dir, cwd: dir }, async (p) => {
            const [warm] = await waitingWarm(pidFile, 1);
            config(32_768);
            versionedApp(dir, "v2");
            let mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor("Running 1 worker(s) on generation 1", { from: mark, timeoutMs: 20_000 });
            assert.match(p.output.slice(mark), /Warm worker 1 cannot become worker 1 \(/);
            const [fresh] = servingPids(pidFile, 1);
            assert.notEqual(fresh, warm, "the warm worker started with the old flags serves");
            assert.equal((await request(p.url("/"))).body, "v2");
            const [refill] = await waitingWarm(pidFile, 1, [warm as number]);
            versionedApp(dir, "v3");
            mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor("Running 1 worker(s) on generation 2", { from: mark, timeoutMs: 20_000 });
            assert.deepEqual(servingPids(pidFile, 2), [refill], "the pool started with the new flags was not taken");
            assert.equal((await request(p.url("/"))).body, "v3");
          });
        });
      });
  });
}
