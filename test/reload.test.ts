/** Rolling reload: zero failed requests under load, bad deploys, the readiness gate, timeouts, storms. */
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { cleanup, load, Pounce, request, sleep, tempDir, versionedApp, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const LOAD_MS = Number(process.env.POUNCE_TEST_LOAD_MS ?? 15_000);

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: reload`, () => {
    for (const signal of ["SIGHUP", "SIGUSR1"] as const) {
      it(`${signal} under keep-alive and per-connection load: zero failed requests, consistent versions`, async (t) => {
        const dir = tempDir();
        versionedApp(dir, "v1");
        const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
        try {
          const duration = signal === "SIGHUP" ? LOAD_MS : Math.round(LOAD_MS * 0.6);
          const running = load(p.port, { keepAlive: 32, perRequest: 4, durationMs: duration });
          let version = 1;
          let finalCompleteAt = 0;
          const deployEvery = 3_000;
          const deploys = Math.max(1, Math.floor(duration / deployEvery) - 1);
          let mark = p.output.length;
          for (let i = 0; i < deploys; i++) {
            await sleep(deployEvery);
            version++;
            versionedApp(dir, `v${version}`);
            mark = p.output.length;
            p.signal(signal);
          }
          await p.waitFor(`Running 2 worker(s) on generation ${version - 1}`, { from: mark, timeoutMs: 30_000 });
          finalCompleteAt = Date.now();
          const result = await running;
          t.diagnostic(`${result.ok} ok, ${result.failed} failed, ${deploys} reloads`);
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);
          assert.ok(result.ok > 500, `only ${result.ok} requests completed`);
          const known = new Set(Array.from({ length: version }, (_, i) => `v${i + 1}`));
          for (const r of result.responses) assert.ok(known.has(r.body), `unexpected body ${r.body}`);
          const late = result.responses.filter((r) => r.at > finalCompleteAt + 50);
          for (const r of late) assert.equal(r.body, `v${version}`, "old code served after the reload completed");
          for (let i = 0; i < 20; i++) assert.equal((await request(p.url("/"))).body, `v${version}`);
          assert.equal(p.count(`Received ${signal} — triggering graceful reload`), deploys);
        } finally {
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
          cleanup(dir);
        }
      });
    }

    it("bad deploy (syntax error, then no fetch) keeps the old version serving; a later good deploy works", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        const running = load(p.port, { keepAlive: 8, perRequest: 2, durationMs: 6_000 });
        await sleep(500);
        writeApp(dir, "app.ts", "export default { fetch( {\n");
        let mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*failed to import/, { from: mark });
        writeApp(dir, "app.ts", "export default { notFetch() {} };\n");
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*no fetch handler/, { from: mark });
        const result = await running;
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        assert.ok(result.responses.every((r) => r.body === "v1"));
        versionedApp(dir, "v2");
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 3", { from: mark });
        assert.equal((await request(p.url("/"))).body, "v2");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("readiness gate: old workers drain only after every new worker is ready", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2", "--log-level", "debug"]);
      try {
        // The new generation takes 1.5 s to import: v1 must serve all that time.
        versionedApp(dir, "v2", "await new Promise((r) => setTimeout(r, 1500));");
        const mark = p.output.length;
        const running = load(p.port, { keepAlive: 4, perRequest: 1, durationMs: 1_200 });
        p.signal("SIGHUP");
        const result = await running;
        assert.equal(result.failed, 0);
        assert.ok(
          result.responses.every((r) => r.body === "v1"),
          "v2 served before it was ready",
        );
        await p.waitFor("Graceful reload complete", { from: mark });
        const log = p.output.slice(mark);
        const draining = log.indexOf("Draining old workers (generation 0");
        assert.ok(draining >= 0, "no Draining old workers line");
        const readies = [...log.matchAll(/Worker \d+ \(generation 1\) ready/g)].map((m) => m.index ?? 0);
        assert.equal(readies.length, 2);
        for (const i of readies) assert.ok(i < draining, "a generation-0 worker drained before generation 1 was ready");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("--reload-stagger: old workers drain one at a time, that far apart; the reload completes after the last", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const drainTimes = async (stagger: string) => {
        const p = await Pounce.start(
          rt,
          [`${dir}/app.ts`, "--workers", "3", "--reload-stagger", stagger, "--log-format", "json"],
          {
            ready: false,
          },
        );
        try {
          await p.waitFor('"event":"ready"');
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor('"event":"reload_complete"', { from: mark, timeoutMs: 30_000 });
          const records = p.output
            .slice(mark)
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as { time: string; event: string });
          const at = (r: { time: string }) => Date.parse(r.time);
          const drains = records.filter((r) => r.event === "worker_draining").map(at);
          const complete = at(records.find((r) => r.event === "reload_complete") as { time: string });
          return { drains: drains.sort((a, b) => a - b), complete };
        } finally {
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
        }
      };
      try {
        const staggered = await drainTimes("0.8");
        assert.equal(staggered.drains.length, 3, "each old worker logs its drain once");
        const [a, b, c] = staggered.drains as [number, number, number];
        assert.ok(b - a >= 700 && c - b >= 700, `drains not 0.8 s apart: ${b - a} ms, ${c - b} ms`);
        assert.ok(staggered.complete >= c, "reload complete before the last old worker drained");
        const together = await drainTimes("0");
        const spread = (together.drains.at(-1) as number) - (together.drains[0] as number);
        assert.ok(spread < 500, `--reload-stagger 0 should drain all at once, spread ${spread} ms`);
      } finally {
        cleanup(dir);
      }
    });

    it("a new generation that crashes at start or misses --startup-timeout is rolled back", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2", "--startup-timeout", "2"]);
      try {
        versionedApp(dir, "v2", "if (true) process.exit(3);");
        let mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*exit/, { from: mark });
        assert.equal((await request(p.url("/"))).body, "v1");
        versionedApp(dir, "v3", "await new Promise((r) => setTimeout(r, 30000));");
        mark = p.output.length;
        const started = Date.now();
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*startup_timeout \(2\.0s\)/, { from: mark });
        assert.ok(Date.now() - started < 8_000);
        assert.equal((await request(p.url("/"))).body, "v1");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("one keep-alive client sending back-to-back across 3 reloads sees no error", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        let stop = false;
        let ok = 0;
        const errors: string[] = [];
        const client = (async () => {
          while (!stop) {
            try {
              const r = await request(p.url("/"), { agent, timeoutMs: 10_000 });
              if (r.status === 200) ok++;
              else errors.push(`HTTP ${r.status}`);
            } catch (err) {
              errors.push(String((err as Error).message));
            }
          }
        })();
        for (let i = 1; i <= 3; i++) {
          await sleep(300);
          versionedApp(dir, `v${i + 1}`);
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor(`Running 2 worker(s) on generation ${i}`, { from: mark });
        }
        await sleep(300);
        stop = true;
        await client;
        assert.deepEqual(errors, []);
        assert.ok(ok > 50, `only ${ok} requests`);
      } finally {
        agent.destroy();
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("--reload-timeout force-stops an old worker still busy; new code serves at once", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2", "--reload-timeout", "1"]);
      try {
        const slow = request(p.url("/slow?ms=10000")).catch((e: Error) => e);
        await sleep(300);
        versionedApp(dir, "v2");
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("New workers spawned", { from: mark });
        const servedAt = Date.now();
        // On reusePort runtimes an old listener may take a few ms to get its drain order.
        while ((await request(p.url("/"))).body !== "v2") {
          assert.ok(Date.now() - servedAt < 1_000, "new code did not take over at once");
          await sleep(10);
        }
        await p.waitFor(/did not stop within reload_timeout \(1\.0s\) — force terminating/, { from: mark });
        await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 1", { from: mark });
        assert.ok(Date.now() - servedAt < 4_000, "force-stop took too long");
        assert.ok((await slow) instanceof Error, "the 10 s request should have been cut");
        if (rt.workerProcesses) {
          await sleep(200);
          assert.equal(p.groupPids().length, 2, "worker count did not return to 2");
        }
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("signal storm: 10 SIGHUPs 100 ms apart coalesce; newest code serves; exactly N workers remain", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        const running = load(p.port, { keepAlive: 8, perRequest: 2, durationMs: 4_000 });
        for (let i = 2; i <= 11; i++) {
          versionedApp(dir, `v${i}`);
          p.signal("SIGHUP");
          await sleep(100);
        }
        const result = await running;
        assert.equal(result.failed, 0, JSON.stringify(result.errors));
        // Wait for the last queued reload to finish.
        const deadline = Date.now() + 20_000;
        while ((await request(p.url("/"))).body !== "v11") {
          assert.ok(Date.now() < deadline, "v11 never served");
          await sleep(100);
        }
        await p.waitFor(/Graceful reload complete/);
        await sleep(1500);
        const reloads = p.count("Spawning 2 worker(s) (generation") - 1;
        assert.ok(reloads >= 1 && reloads <= 3, `${reloads} reloads for 10 signals`);
        // At most one generation starts at a time: each start settles before the next begins.
        const log = p.output
          .split("\n")
          .filter((l) => /Spawning 2 worker|Ready to accept|Successfully reimported|Reload failed/.test(l));
        for (let i = 1; i < log.length; i++)
          if ((log[i] as string).includes("Spawning")) assert.doesNotMatch(log[i - 1] as string, /Spawning/, log.join("\n"));
        if (rt.workerProcesses) assert.equal(p.groupPids().length, 2);
        for (let i = 0; i < 10; i++) assert.equal((await request(p.url("/"))).body, "v11");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        await sleep(100);
        assert.deepEqual(p.groupPids(), [], "processes left after shutdown");
        cleanup(dir);
      }
    });
  });
}
