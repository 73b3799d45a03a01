/**
 * Replacement paths that are rarely travelled (issue 9 bugs 2-4): a worker that reports a fatal
 * error and then dies, a replacement that fails to start, and a fatal error where two workers cannot
 * share the port.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { request, sleep, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

// Marker files next to the app change how the *next* worker starts: slowly, or not at all.
const APP = `import { existsSync } from "node:fs";
const here = new URL(".", import.meta.url).pathname;
if (existsSync(here + "slow-start")) { const until = Date.now() + 1500; while (Date.now() < until) {} }
if (existsSync(here + "broken")) throw new Error("broken on purpose");
const boom = () => setTimeout(() => { Promise.reject(new Error("background boom")); }, 10);
export default {
  fetch(request: Request): Response {
    const path = new URL(request.url).pathname;
    if (path === "/fatal") { boom(); return new Response("scheduled"); }
    if (path === "/fatal-then-exit") { boom(); setTimeout(() => process.exit(1), 300); return new Response("scheduled"); }
    return new Response("ok");
  },
};
`;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: fatal-error replacement`, () => {
    it("a worker that reports a fatal error and dies before its replacement is ready leaves exactly one worker", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "1"],
        async (p, dir) => {
          writeFileSync(join(dir, "slow-start"), "");
          const mark = p.output.length;
          assert.equal((await request(p.url("/fatal-then-exit"))).body, "scheduled");
          await p.waitFor("reported a fatal error", { from: mark });
          await p.waitFor("Worker 0 (generation 0) died", { from: mark });
          await p.waitFor(/Replacement worker \d+ \(generation 0\) is ready/, { from: mark, timeoutMs: 10_000 });
          // The absence of a second replacement takes elapsed time to see: the faulty path spawned it
          // at the death, and its 1.5 s start would be over by now.
          await sleep(2_000);
          assert.equal(p.count(/Replacement worker \d+ \(generation 0\) is ready/), 1, p.output.slice(mark));
          if (rt.workerProcesses) assert.equal(p.groupPids().length, 1, "not exactly one worker process");
          assert.equal((await request(p.url("/"))).body, "ok");
        },
      );
    });

    it("a replacement that fails to start is retried until one starts, then the faulty worker drains", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "1"],
        async (p, dir) => {
          writeFileSync(join(dir, "broken"), "");
          const mark = p.output.length;
          assert.equal((await request(p.url("/fatal"))).body, "scheduled");
          await p.waitFor(/Replacement worker \d+ \(generation 0\) failed to start: .*broken on purpose/, { from: mark });
          assert.equal((await request(p.url("/"))).body, "ok", "the faulty worker should serve until replaced");
          rmSync(join(dir, "broken"));
          await p.waitFor(/Worker \d+ replaces worker 0, which is now draining/, { from: mark, timeoutMs: 15_000 });
          await p.waitFor("Worker 0 (generation 0) is idle", { from: mark });
          assert.equal((await request(p.url("/"))).body, "ok");
        },
      );
    });
  });
}

// The switch for the off-Linux path of Bun and Deno (two processes cannot share a port there).
for (const rt of selectedRuntimes().filter((r) => r.name === "bun" || r.name === "deno")) {
  describe(`${rt.name}: fatal-error replacement without port sharing`, () => {
    it("drains the faulty worker first, then starts its replacement", async () => {
      const env = { POUNCE_NO_REUSEPORT: "1" };
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "1"],
        { env },
        async (p) => {
          const mark = p.output.length;
          assert.equal((await request(p.url("/fatal"))).body, "scheduled");
          await p.waitFor("draining it, then starting a replacement (no port sharing)", { from: mark });
          await p.waitFor("Worker 0 (generation 0) is idle", { from: mark });
          await p.waitFor("Replacement worker 1 (generation 0) is ready", { from: mark });
          assert.equal((await request(p.url("/"))).body, "ok");
          assert.doesNotMatch(p.output.slice(mark), /failed to start/);
        },
      );
    });
  });
}
