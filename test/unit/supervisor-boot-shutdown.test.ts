/** The supervisor's boot and shutdown transitions, against a fake adapter and a fake clock. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { booted, rig } from "./_fake.ts";

describe("supervisor: boot", () => {
  it("spawns the worker count and is ready only when every worker is", () => {
    const r = rig({ workers: "3" });
    r.sup.start();
    assert.equal(r.adapter.live(0).length, 3);
    r.adapter.worker(0).ready();
    r.adapter.worker(1).ready();
    assert.equal(r.sup.snapshot().phase, "booting");
    r.adapter.worker(2).ready();
    assert.equal(r.sup.snapshot().phase, "running");
    assert.match(
      r.lines().join("\n"),
      /Ready to accept connections on http:\/\/127\.0\.0\.1:4321 — 3 worker\(s\), generation 0, fake/,
    );
  });

  it("a worker that fails to import fails the boot with its reason, exit 1, the others killed", () => {
    const r = rig();
    r.sup.start();
    r.adapter.worker(0).fail("failed to import app.ts: SyntaxError");
    assert.equal(r.adapter.exitCode, 1);
    assert.ok(r.adapter.worker(1).killed);
    assert.ok(r.lines().includes("Failed to start: failed to import app.ts: SyntaxError"));
  });

  it("a worker that dies after ready but before the generation is: boot fails rather than hangs", () => {
    const r = rig();
    r.sup.start();
    r.adapter.worker(0).ready().exit(1);
    assert.equal(r.adapter.exitCode, 1);
    assert.ok(r.lines().some((l) => l.startsWith("Failed to start: worker 0 exited during start-up (exit code 1)")));
  });

  it("startup_timeout kills a worker that never reports ready, and boot fails naming the setting", () => {
    const r = rig({ "startup-timeout": "2" });
    r.sup.start();
    r.adapter.worker(0).ready();
    r.clock.advance(1_999);
    assert.equal(r.adapter.exitCode, undefined);
    r.clock.advance(1);
    assert.ok(r.adapter.worker(1).killed);
    assert.equal(r.adapter.exitCode, 1);
    assert.ok(r.lines().includes("Failed to start: worker 1 not ready within startup_timeout (2.0s)"));
  });

  it("writes the pid file once ready and removes it on exit", () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), "pounce-pid-")), "pounce.pid");
    const r = rig({ "pid-file": pidFile });
    r.sup.start();
    assert.equal(existsSync(pidFile), false);
    let atReady: string | undefined;
    r.sup.observe((n) => {
      if (n.event === "ready") atReady = readFileSync(pidFile, "utf8");
    });
    r.readyAll(0);
    assert.equal(atReady, "42\n", "the pid file must exist when the ready line is written");
    r.adapter.signal("SIGTERM");
    for (const w of r.adapter.live()) w.idle();
    assert.equal(r.adapter.exitCode, 0);
    assert.equal(existsSync(pidFile), false);
  });
});

describe("supervisor: shutdown", () => {
  it("drains every worker with shutdown_timeout, then exits 0 once all have stopped", () => {
    const r = booted();
    r.adapter.signal("SIGTERM");
    for (const w of r.adapter.live())
      assert.deepEqual(w.drains, [{ type: "drain", reason: "shutdown", timeoutMs: 10_000, lastListener: true }]);
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.exitCode, undefined);
    r.adapter.worker(1).idle();
    assert.equal(r.adapter.exitCode, 0);
    assert.deepEqual(r.events().slice(-5), [
      "shutdown_requested",
      "shutting_down",
      "worker_stopped",
      "worker_stopped",
      "stopped",
    ]);
  });

  it("force-stops a straggler at shutdown_timeout and still exits 0", () => {
    const r = booted({ "shutdown-timeout": "3" });
    r.adapter.signal("SIGTERM");
    r.adapter.worker(0).idle();
    r.clock.advance(2_999);
    assert.equal(r.adapter.worker(1).killed, false);
    r.clock.advance(1);
    assert.ok(r.adapter.worker(1).killed);
    assert.ok(r.lines().includes("Worker 1 did not stop within shutdown_timeout (3.0s) — force terminating"));
    assert.equal(r.adapter.exitCode, 0);
  });

  it("a second SIGTERM kills everything and exits 1", () => {
    const r = booted();
    r.adapter.signal("SIGTERM");
    r.adapter.signal("SIGINT");
    assert.ok(r.adapter.workers.every((w) => w.killed));
    assert.equal(r.adapter.exitCode, 1);
    assert.ok(r.lines().includes("Received second SIGINT — stopping now"));
  });

  it("a SIGHUP during shutdown is ignored and logged", () => {
    const r = booted();
    r.adapter.signal("SIGTERM");
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("Received SIGHUP during shutdown — ignored"));
    assert.equal(r.adapter.workers.length, 2);
  });

  it("SIGTERM during boot stops the starting workers and exits 0", () => {
    const r = rig();
    r.sup.start();
    r.adapter.worker(0).ready();
    r.adapter.signal("SIGTERM");
    assert.ok(r.adapter.worker(1).killed);
    assert.deepEqual(r.adapter.worker(0).drains.length, 1);
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.exitCode, 0);
  });

  it("SIGTERM during a reload kills the starting generation and drains the serving one", () => {
    const r = booted();
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.live(1).length, 2);
    r.adapter.worker(2).ready();
    r.adapter.signal("SIGTERM");
    assert.ok(r.adapter.worker(2).killed && r.adapter.worker(3).killed);
    assert.equal(r.adapter.worker(0).drains[0]?.reason, "shutdown");
    assert.ok(r.lines().includes("Shutting down 2 worker(s)..."));
  });
});
