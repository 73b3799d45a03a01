/** Graceful shutdown, force-stop, second signal, signals aimed at workers, supervisor killed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanup, Pounce, request, sleep, tempDir, versionedApp, waitUntil } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: shutdown`, () => {
    it("SIGTERM: slow requests in flight complete with 200, new connections are refused, exit 0, nothing left", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      const slow = Array.from({ length: 6 }, () => request(p.url("/slow?ms=2000")));
      await sleep(400);
      const mark = p.output.length;
      p.signal("SIGTERM");
      await p.waitFor("Received SIGTERM — initiating shutdown", { from: mark });
      await p.waitFor(/draining \d+ active connection\(s\)\.\.\./, { from: mark });
      await sleep(300);
      await assert.rejects(request(p.url("/"), { timeoutMs: 3_000 }), /ECONNREFUSED|ECONNRESET/);
      for (const r of await Promise.all(slow)) {
        assert.equal(r.status, 200);
        assert.equal(r.body, "v1");
      }
      const { code } = await p.exited();
      assert.equal(code, 0);
      assert.match(p.output, /All workers stopped/);
      await sleep(100);
      assert.deepEqual(p.groupPids(), []);
      cleanup(dir);
    });

    it("--shutdown-timeout 1 with a 10 s request: exits within ~1.5 s, stragglers force-stopped and logged", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--shutdown-timeout", "1"]);
      const slow = request(p.url("/slow?ms=10000")).catch((e: Error) => e);
      await sleep(300);
      const started = Date.now();
      p.signal("SIGTERM");
      const { code } = await p.exited(10_000);
      const took = Date.now() - started;
      assert.equal(code, 0);
      assert.ok(took < 2_500, `took ${took} ms`);
      assert.match(p.output, /Worker \d+ did not stop within shutdown_timeout \(1\.0s\) — force terminating/);
      assert.ok((await slow) instanceof Error);
      assert.deepEqual(p.groupPids(), []);
      cleanup(dir);
    });

    it("a second SIGTERM or SIGINT during shutdown stops at once with exit 1", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      for (const second of ["SIGTERM", "SIGINT"] as const) {
        const p = await Pounce.start(rt, [`${dir}/app.ts`]);
        const slow = request(p.url("/slow?ms=10000")).catch((e: Error) => e);
        await sleep(300);
        p.signal("SIGTERM");
        await p.waitFor("initiating shutdown");
        const started = Date.now();
        p.signal(second);
        const { code } = await p.exited(5_000);
        assert.equal(code, 1);
        assert.ok(Date.now() - started < 2_000);
        assert.match(p.output, new RegExp(`Received second ${second} — stopping now`));
        await slow;
        await sleep(200);
        assert.deepEqual(p.groupPids(), []);
      }
      cleanup(dir);
    });

    it("Ctrl-C (SIGINT to the whole process group) still drains in order: workers obey the supervisor", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      const slow = Array.from({ length: 3 }, () => request(p.url("/slow?ms=1500")));
      await sleep(300);
      p.signalGroup("SIGINT");
      for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
      assert.equal((await p.exited()).code, 0);
      assert.equal(p.count("Received SIGINT — initiating shutdown"), 1);
      assert.doesNotMatch(p.output, /died|force terminating/);
      cleanup(dir);
    });

    it("SIGTERM to every process (systemd KillMode=control-group) still drains in order", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      const slow = Array.from({ length: 3 }, () => request(p.url("/slow?ms=1500")));
      await sleep(300);
      const pids = [p.pid, ...p.groupPids()];
      for (const pid of pids) process.kill(pid, "SIGTERM");
      for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
      assert.equal((await p.exited()).code, 0);
      assert.doesNotMatch(p.output, /died|force terminating/);
      cleanup(dir);
    });

    it("SIGTERM during a reload stops the starting generation and drains the rest", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      const slow = request(p.url("/slow?ms=1500"));
      await sleep(200);
      versionedApp(dir, "v2", "await new Promise((r) => setTimeout(r, 5000));");
      p.signal("SIGHUP");
      await p.waitFor("Spawning 2 worker(s) (generation 1)");
      await sleep(300);
      p.signal("SIGTERM");
      assert.equal((await slow).body, "v1");
      const { code } = await p.exited(10_000);
      assert.equal(code, 0);
      assert.doesNotMatch(p.output, /Graceful reload complete/);
      await sleep(100);
      assert.deepEqual(p.groupPids(), []);
      cleanup(dir);
    });

    it("SIGHUP during boot runs once boot completes; SIGHUP during shutdown is ignored and logged", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1", "await new Promise((r) => setTimeout(r, 1500));");
      const p = await Pounce.start(rt, [`${dir}/app.ts`], { ready: false });
      await p.waitFor("Spawning 1 worker(s) (generation 0)");
      await sleep(200);
      versionedApp(dir, "v2");
      p.signal("SIGHUP");
      await p.waitFor("Reload will run once start-up completes");
      await p.waitFor("Graceful reload complete. Running 1 worker(s) on generation 1", { timeoutMs: 15_000 });
      assert.equal((await request(p.url("/"))).body, "v2");
      const slow = request(p.url("/slow?ms=1500"));
      await sleep(200);
      p.signal("SIGTERM");
      await p.waitFor("initiating shutdown");
      p.signal("SIGHUP");
      await p.waitFor("Received SIGHUP during shutdown — ignored");
      assert.equal((await slow).status, 200);
      assert.equal((await p.exited()).code, 0);
      cleanup(dir);
    });

    it("supervisor killed with SIGKILL: workers finish in-flight work and exit, no orphans", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      const pgid = p.pid;
      const slow = request(p.url("/slow?ms=1500"));
      await sleep(300);
      p.signal("SIGKILL");
      const r = await slow;
      assert.equal(r.status, 200);
      assert.equal(r.body, "v1");
      const { processesInGroup } = await import("./_harness.ts");
      await waitUntil("every worker exited", () => processesInGroup(pgid).length === 0, 10_000);
      cleanup(dir);
    });
  });
}
