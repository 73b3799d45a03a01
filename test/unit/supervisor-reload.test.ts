/** Reload transitions: readiness gate, stagger, failure, coalescing, cooldown, stop-then-start. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted, type Rig, rig } from "./_fake.ts";

/** Old workers that have been told to drain. */
const drained = (r: Rig, gen: number) => r.adapter.workers.filter((w) => w.spec.generation === gen && w.drains.length > 0);

describe("supervisor: overlap reload", () => {
  it("drains the old generation only once every new worker is ready, one at a time reload_stagger apart", () => {
    const r = booted({ workers: "3", "reload-stagger": "0.5" });
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.live(1).length, 3);
    r.adapter.worker(3).ready();
    r.adapter.worker(4).ready();
    assert.equal(drained(r, 0).length, 0, "drained before the new generation was ready");
    r.adapter.worker(5).ready();
    assert.equal(drained(r, 0).length, 1);
    assert.ok(r.lines().includes("New workers spawned. Draining old workers (generation 0, one every 0.5s)..."));
    r.clock.advance(499);
    assert.equal(drained(r, 0).length, 1);
    r.clock.advance(1);
    assert.equal(drained(r, 0).length, 2);
    r.clock.advance(500);
    assert.equal(drained(r, 0).length, 3);
    r.adapter.worker(0).idle();
    r.adapter.worker(1).idle();
    assert.ok(!r.events().includes("reload_complete"));
    r.adapter.worker(2).idle();
    assert.ok(r.lines().includes("Graceful reload complete. Running 3 worker(s) on generation 1"));
  });

  it("--reload-stagger 0 drains every old worker at once", () => {
    const r = booted({ workers: "3", "reload-stagger": "0" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    assert.equal(drained(r, 0).length, 3);
    // The new generation listens: an old listener's queue is left to it (closed at once).
    for (const w of drained(r, 0))
      assert.deepEqual(
        w.drains.map((d) => d.lastListener),
        [false],
      );
  });

  it("an old worker waiting its turn that dies is not replaced, and completion still comes", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.adapter.worker(1).exit(1); // waiting its turn
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.workers.length, 4, "something was respawned");
    assert.ok(r.events().includes("reload_complete"));
  });

  it("a new worker that fails to import keeps the old generation serving", () => {
    const r = booted();
    r.adapter.signal("SIGHUP");
    r.adapter.worker(2).ready();
    r.adapter.worker(3).fail("failed to import app.ts: boom");
    assert.ok(r.adapter.worker(2).killed);
    assert.equal(drained(r, 0).length, 0);
    assert.ok(r.lines().includes("Reload failed — continuing with previous version: failed to import app.ts: boom"));
    assert.equal(r.sup.snapshot().active, 0);
  });

  it("a new worker not ready within startup_timeout fails the reload", () => {
    const r = booted({ "startup-timeout": "2" });
    r.adapter.signal("SIGHUP");
    r.adapter.worker(2).ready();
    r.clock.advance(2_000);
    assert.ok(
      r.lines().includes("Reload failed — continuing with previous version: worker 3 not ready within startup_timeout (2.0s)"),
    );
    assert.equal(r.sup.snapshot().active, 0);
  });

  it("force-stops an old worker still busy at reload_timeout; completion follows", () => {
    const r = booted({ workers: "1", "reload-timeout": "1" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.clock.advance(1_000);
    assert.ok(r.adapter.worker(0).killed);
    assert.ok(r.lines().includes("Worker 0 (generation 0) did not stop within reload_timeout (1.0s) — force terminating"));
    assert.ok(r.events().includes("reload_complete"));
  });

  it("a shutdown during a drain keeps the earlier deadline and tells the worker (health turns 503)", () => {
    const r = booted({ workers: "1", "reload-timeout": "30", "shutdown-timeout": "2" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.adapter.signal("SIGTERM");
    assert.deepEqual(
      r.adapter.worker(0).drains.map((d) => d.reason),
      ["reload", "shutdown"],
    );
    r.adapter.worker(1).idle();
    r.clock.advance(2_000);
    assert.ok(r.adapter.worker(0).killed);
    assert.equal(r.adapter.exitCode, 0);
  });
});

describe("supervisor: reload queue", () => {
  it("a SIGHUP during boot runs once start-up completes", () => {
    const r = rig();
    r.sup.start();
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("Reload will run once start-up completes"));
    assert.equal(r.adapter.live(1).length, 0);
    r.readyAll(0);
    assert.equal(r.adapter.live(1).length, 2, "the remembered reload did not run after boot");
  });

  it("signals during a starting reload coalesce into one pending reload that runs after it settles", () => {
    const r = booted();
    r.adapter.signal("SIGHUP");
    for (let i = 0; i < 9; i++) r.adapter.signal("SIGHUP");
    assert.equal(r.lines().filter((l) => l === "A reload is already in progress; another will run once it settles").length, 1);
    r.readyAll(1);
    assert.equal(r.adapter.live(2).length, 0, "the pending reload started inside the cooldown");
    r.clock.advance(1_000);
    assert.equal(r.adapter.live(2).length, 2);
    r.readyAll(2);
    r.clock.advance(5_000);
    assert.equal(r.lines().filter((l) => l.startsWith("Spawning")).length, 3, "10 signals → boot + 2 reloads");
  });

  it("a reload that only waits for the cooldown says so (not 'already in progress')", () => {
    const r = booted({ "reload-stagger": "0" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    for (const w of r.adapter.live(0)) w.idle();
    assert.ok(r.events().includes("reload_complete"));
    r.clock.advance(400);
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("Reload will run in 0.6s (at most one reload starts per second)"));
    assert.ok(!r.lines().some((l) => l.startsWith("A reload is already in progress")));
    r.clock.advance(599);
    assert.equal(r.adapter.live(2).length, 0);
    r.clock.advance(1);
    assert.equal(r.adapter.live(2).length, 2);
  });

  it("a reload whose entry file has gone fails and keeps serving", async () => {
    const { rmSync } = await import("node:fs");
    const r = booted();
    rmSync(r.config.entry);
    r.adapter.signal("SIGUSR1");
    assert.ok(r.lines().some((l) => l.startsWith("Reload failed — continuing with previous version:")));
    assert.equal(r.adapter.workers.length, 2);
  });

  it("a reload from another source logs its cause", () => {
    const r = booted();
    r.sup.dispatch({ type: "reload", cause: { kind: "file", path: "src/app.ts" } });
    assert.ok(r.lines().includes("Change in src/app.ts — triggering graceful reload"));
    assert.equal(r.adapter.live(1).length, 2);
  });
});

describe("supervisor: stop-then-start reload", () => {
  const restart = { "reload-strategy": "restart", workers: "1" };

  it("checks the import, drains the old workers, then starts the new ones", () => {
    const r = booted(restart);
    r.adapter.signal("SIGHUP");
    const check = r.adapter.workers[1];
    assert.equal(check?.spec.mode, "check");
    assert.equal(r.adapter.worker(0).drains.length, 0, "old drained before the check passed");
    check?.ready().exit(0);
    // Nothing else listens until the old worker is gone: it serves what is queued on its listener.
    assert.deepEqual(
      r.adapter.worker(0).drains.map((d) => [d.reason, d.lastListener]),
      [["reload", true]],
    );
    assert.equal(r.adapter.live(1).length, 0, "new started while the old still listens");
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.live(1).length, 1);
    r.readyAll(1);
    assert.ok(r.lines().includes("Graceful reload complete. Running 1 worker(s) on generation 1"));
  });

  it("a failed import check keeps the old workers", () => {
    const r = booted(restart);
    r.adapter.signal("SIGHUP");
    r.adapter.workers[1]?.fail("failed to import app.ts: nope");
    assert.equal(r.adapter.worker(0).drains.length, 0);
    assert.ok(r.lines().includes("Reload failed — continuing with previous version: failed to import app.ts: nope"));
  });

  it("a new generation that fails after the old one stopped brings the previous code back; if that fails too, exit 1", () => {
    const r = booted(restart);
    r.adapter.signal("SIGHUP");
    r.adapter.workers[1]?.ready().exit(0);
    r.adapter.worker(0).idle();
    r.adapter.live(1)[0]?.fail("listen EADDRINUSE");
    assert.ok(r.lines().some((l) => l.startsWith("Reload failed after the old workers stopped: listen EADDRINUSE")));
    const recovery = r.adapter.live(2)[0];
    assert.ok(recovery, "the previous version was not restarted");
    recovery.fail("still broken");
    assert.ok(r.lines().includes("The previous version failed to start too — exiting"));
    assert.equal(r.adapter.exitCode, 1);
  });
});
