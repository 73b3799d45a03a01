/** App readiness: init() awaited first, --ready-path asked in-process until 2xx, a not-ready generation rolled back. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Pounce, request, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** An app whose /ready answers `readyStatus` for its first `failures` tries, 200 after; / names it. */
function readyApp(dir: string, version: string, opts: { failures: number; readyStatus?: number }): string {
  return writeApp(
    dir,
    "app.ts",
    `let readyCalls = 0;
export default {
  fetch(request: Request): Response {
    const path = new URL(request.url).pathname;
    if (path === "/ready") {
      readyCalls++;
      return new Response(null, { status: readyCalls > ${opts.failures} ? 200 : ${opts.readyStatus ?? 503} });
    }
    return new Response(${JSON.stringify(version)} + " ready-calls=" + readyCalls);
  },
};
`,
  );
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: app readiness`, () => {
    it("an app whose --ready-path never answers 2xx: boot fails, exit 1, the log names the path and the last status", async () => {
      await withTempDir(async (dir) => {
        const app = readyApp(dir, "v1", { failures: 1_000_000 });
        const p = await Pounce.start(rt, [app, "--ready-path", "/ready", "--startup-timeout", "4"], { ready: false });
        try {
          const exit = await p.exited(20_000);
          assert.equal(exit.code, 1, p.output);
          assert.match(
            p.output,
            /Failed to start: .*not ready within startup_timeout \(4\.0s\) — app not ready: GET \/ready answered 503/,
          );
          assert.doesNotMatch(p.output, /Ready to accept connections/);
        } finally {
          p.kill();
        }
      });
    });

    it("an init() that throws: boot fails with its message, exit 1", async () => {
      await withTempDir(async (dir) => {
        const app = writeApp(
          dir,
          "app.ts",
          `export default {
  async init() { throw new Error("cannot reach the database"); },
  fetch: () => new Response("never"),
};
`,
        );
        const p = await Pounce.start(rt, [app], { ready: false });
        try {
          const exit = await p.exited(20_000);
          assert.equal(exit.code, 1, p.output);
          assert.match(p.output, /Failed to start: init\(\) of .*app\.ts failed: .*cannot reach the database/);
        } finally {
          p.kill();
        }
      });
    });

    it("init() is awaited before the first request (without --ready-path)", async () => {
      const app = (dir: string) => [
        writeApp(
          dir,
          "app.ts",
          `let value = "not initialised";
export default {
  async init() {
    await new Promise((r) => setTimeout(r, 300));
    value = "initialised";
  },
  fetch: () => new Response(value),
};
`,
        ),
      ];
      await withPounce(rt, app, async (p) => {
        assert.equal((await request(p.url("/"))).body, "initialised");
      });
    });

    it("an app that answers 503 a few times, then 200: it becomes ready and serves", async () => {
      await withPounce(
        rt,
        (dir) => [readyApp(dir, "v1", { failures: 3 }), "--ready-path", "/ready"],
        async (p) => {
          // The fourth try was the first 2xx: the worker asked exactly until then.
          assert.equal((await request(p.url("/"))).body, "v1 ready-calls=4");
          // Afterwards the path is an ordinary route of the app.
          assert.equal((await request(p.url("/ready"))).status, 200);
          assert.equal((await request(p.url("/"))).body, "v1 ready-calls=5");
        },
      );
    });

    it("a reload whose new code is not ready is refused: the old generation keeps serving", async () => {
      const args = (dir: string) => [readyApp(dir, "v1", { failures: 0 }), "--ready-path", "/ready", "--startup-timeout", "4"];
      await withPounce(rt, args, async (p, dir) => {
        assert.equal((await request(p.url("/"))).body, "v1 ready-calls=1");
        readyApp(dir, "v2", { failures: 1_000_000, readyStatus: 500 });
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Reload failed", { from: mark, timeoutMs: 20_000 });
        assert.match(p.output.slice(mark), /app not ready: GET \/ready answered 500/);
        for (let i = 0; i < 5; i++) assert.equal((await request(p.url("/"))).body, "v1 ready-calls=1");
        assert.doesNotMatch(p.output.slice(mark), /Running 1 worker\(s\) on generation 1/);
      });
    });

    it("--reload-strategy restart: the import check runs the readiness check too, so a not-ready deploy never stops the old workers", async () => {
      const args = (dir: string) => [
        readyApp(dir, "v1", { failures: 0 }),
        "--ready-path",
        "/ready",
        "--startup-timeout",
        "4",
        "--reload-strategy",
        "restart",
      ];
      await withPounce(rt, args, async (p, dir) => {
        readyApp(dir, "v2", { failures: 1_000_000 });
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Reload failed", { from: mark, timeoutMs: 20_000 });
        const after = p.output.slice(mark);
        assert.match(after, /app not ready: GET \/ready answered 503/);
        assert.doesNotMatch(after, /draining|Draining/, "the old workers were stopped for a deploy that was not ready");
        assert.equal((await request(p.url("/"))).body, "v1 ready-calls=1");
      });
    });
  });
}
