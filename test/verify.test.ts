/**
 * `pounce verify` on every runtime row: the good app passes (exit 0) with --json and --report; the
 * two apps that do lose requests on a reload fail (exit 1) with the right kind named: a route
 * slower than --reload-timeout (its worker is force-stopped mid-request), and an app whose onDrain
 * exits the worker (its in-flight requests are reset). Short runs: 100 req/s, 1–2 reloads.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runPounce } from "./_run.ts";
import { ROOT, selectedRuntimes } from "./_runtimes.ts";

const fixture = (name: string) => join(ROOT, "test/fixtures/verify", name);
const SHORT = ["--rate", "100", "--steady", "1"];

for (const rt of selectedRuntimes()) {
  // Each case is its own processes on its own free port: they may run side by side.
  describe(`${rt.name}: pounce verify`, { concurrency: true }, () => {
    it("the good app passes: exit 0, --json parses, nothing lost, each reload cut over, the bad deploy refused, --report written", async () => {
      const report = mkdtempSync(join(tmpdir(), "verify-report-"));
      try {
        const ran = await runPounce(
          rt,
          [
            "verify",
            fixture("hello.ts"),
            "--next",
            fixture("hello-v2.ts"),
            ...["--workers", "2"],
            ...SHORT,
            "--reloads",
            "2",
            "--json",
            "--report",
            report,
          ],
          { timeoutMs: 90_000 },
        );
        assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
        const v = JSON.parse(ran.stdout);
        assert.equal(v.ok, true, v.problems?.join("; "));
        assert.equal(v.failed, 0);
        assert.ok(v.sent >= 300, `a few seconds at 100 req/s: ${v.sent} sent`);
        assert.equal(v.answered, v.sent);
        assert.equal(v.next, fixture("hello-v2.ts"));
        assert.equal(v.reloads.length, 2);
        for (const r of v.reloads) {
          assert.equal(r.outcome, "complete");
          assert.ok(r.cutoverMs > 0 && r.firstNewMs !== null, JSON.stringify(r));
        }
        assert.equal(v.bad.outcome, "refused");
        assert.match(v.bad.error, /deliberately bad deploy/);
        assert.equal(v.shutdown.exitCode, 0);
        assert.ok(v.shutdown.inFlightAtSignal >= 1, "SIGTERM went with a request in flight");
        assert.equal(v.forceStopped, 0);
        assert.ok(v.p99Steady !== null && v.reloads.every((r: { p99: number | null }) => r.p99 !== null), "p99 figures");
        const svg = readFileSync(join(report, "latency.svg"), "utf8");
        assert.match(svg, /^<svg /);
        assert.match(svg, />reload 2</);
        assert.match(svg, />bad deploy</);
        const md = readFileSync(join(report, "report.md"), "utf8");
        assert.match(md, /\*\*PASS\*\*: no request lost/);
        assert.match(md, /\| 2 \| complete \|/);
      } finally {
        rmSync(report, { recursive: true, force: true });
      }
    });

    it("a route slower than --reload-timeout fails the run: exit 1, requests reset, the worker force-stopped", async () => {
      const ran = await runPounce(
        rt,
        [
          "verify",
          fixture("slow-route.ts"),
          ...["--path", "/", "--path", "/slow", "--connections", "100"], // 50 /slow a second, 2.5 s each: ~125 at once
          ...["--reload-timeout", "1", ...SHORT, "--reloads", "1"],
        ],
        { timeoutMs: 90_000, env: { SLOW_MS: "2500" } },
      );
      assert.equal(ran.code, 1, `${ran.stdout}\n${ran.stderr}`);
      assert.match(ran.stdout, /^FAIL: \d+ request\(s\) lost: \d+ reset/m);
      assert.match(ran.stdout, /worker\(s\) force-stopped/);
      assert.match(ran.stdout, /lost in {4}.*reload 1 \d+/);
    });

    it("an app whose onDrain exits the worker fails the run: exit 1, its in-flight requests reset (--json, --requests FILE)", async () => {
      const dir = mkdtempSync(join(tmpdir(), "verify-requests-"));
      const requests = join(dir, "requests.txt");
      writeFileSync(requests, '# what the test sends\nGET /\nPOST /items {"a":1}\n');
      const ran = await runPounce(
        rt,
        ["verify", fixture("drain-exit.ts"), "--requests", requests, ...SHORT, "--reloads", "1", "--json"],
        {
          timeoutMs: 90_000,
        },
      ).finally(() => rmSync(dir, { recursive: true, force: true }));
      assert.equal(ran.code, 1, `${ran.stdout}\n${ran.stderr}`);
      const v = JSON.parse(ran.stdout);
      assert.equal(v.ok, false);
      assert.ok(v.failures.reset > 0, JSON.stringify(v.failures));
      assert.ok(
        v.lostByStep.some((l: { step: string }) => l.step === "reload 1"),
        JSON.stringify(v.lostByStep),
      );
      assert.match(v.problems[0], /request\(s\) lost: \d+ reset/);
    });

    it("an app that cannot start fails the run at once: exit 1, naming the cause", async () => {
      const dir = mkdtempSync(join(tmpdir(), "verify-boot-"));
      const app = join(dir, "app.ts");
      writeFileSync(app, 'throw new Error("no database");\nexport default { fetch: () => new Response("x") };\n');
      const ran = await runPounce(rt, ["verify", app, ...SHORT], { timeoutMs: 60_000 }).finally(() =>
        rmSync(dir, { recursive: true, force: true }),
      );
      assert.equal(ran.code, 1, `${ran.stdout}\n${ran.stderr}`);
      assert.match(ran.stdout, /^FAIL: the app did not start: .*Error: no database/m);
    });

    it("refuses what it sets itself, in one line (exit 2)", async () => {
      const ran = await runPounce(rt, ["verify", fixture("hello.ts"), "--port", "9000"], { timeoutMs: 30_000 });
      assert.equal(ran.code, 2);
      assert.equal(ran.stderr, "pounce: error: --port is set by pounce verify itself: leave it out\n");
      assert.equal(existsSync(join(ROOT, "9000")), false);
    });
  });
}
