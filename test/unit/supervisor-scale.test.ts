/** SIGTTIN / SIGTTOU: one worker more or fewer, the override across reloads, and when a change waits. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted, type Rig, rig } from "./_fake.ts";

const serving = (r: Rig, gen: number) => r.adapter.live(gen).filter((w) => w.drains.length === 0);

describe("supervisor: workers on the fly", () => {
  it("SIGTTIN starts one more worker in the serving generation and says when it is ready", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGTTIN");
    assert.ok(r.lines().includes("Worker count 2 → 3 (SIGTTIN): starting worker 2"));
    assert.equal(r.adapter.live(0).length, 3);
    r.adapter.worker(2).ready();
    assert.ok(r.lines().includes("Worker 2 (generation 0) is ready — 3 worker(s)"));
    assert.ok(!r.events().includes("worker_replacement_ready"));
  });

  it("SIGTTOU drains the oldest worker (reason scale) and does not replace it", () => {
    const r = booted({ workers: "3" });
    r.adapter.signal("SIGTTOU");
    assert.ok(r.lines().includes("Worker count 3 → 2 (SIGTTOU): draining worker 0"));
    const w0 = r.adapter.worker(0);
    assert.deepEqual(
      w0.drains.map((d) => d.reason),
      ["scale"],
    );
    assert.equal(w0.drains[0]?.timeoutMs, r.config.reloadTimeout * 1000, "not drained with reload_timeout");
    w0.idle();
    assert.ok(r.lines().includes("Worker 0 (generation 0) is idle"));
    assert.equal(r.adapter.workers.length, 3, "the drained worker was replaced");
    assert.equal(r.adapter.live(0).length, 2);
  });

  it("SIGTTOU never goes below one worker", () => {
    const r = booted({ workers: "1" });
    r.adapter.signal("SIGTTOU");
    assert.ok(r.lines().includes("Worker count stays at 1 (SIGTTOU): never below 1"));
    assert.equal(r.adapter.worker(0).drains.length, 0);
  });

  it("SIGTTOU right after SIGTTIN stops the worker that is still starting, not a serving one", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGTTIN");
    r.adapter.signal("SIGTTOU");
    assert.ok(r.adapter.worker(2).killed);
    assert.equal(serving(r, 0).length, 2);
    assert.equal(r.adapter.workers.length, 3);
  });

  it("a worker that dies after SIGTTIN is replaced to the new count", () => {
    const r = booted({ workers: "1" });
    r.adapter.signal("SIGTTIN");
    r.adapter.worker(1).ready();
    r.adapter.worker(0).exit(1);
    assert.equal(r.adapter.live(0).length, 2, "the dead worker was not replaced");
  });

  it("the new count holds across reloads", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGTTIN");
    r.adapter.signal("SIGTTIN");
    r.readyAll(0);
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("Spawning 4 worker(s) (generation 1)..."));
    r.readyAll(1);
    for (const w of r.adapter.live(0)) w.idle();
    assert.ok(r.lines().includes("Graceful reload complete. Running 4 worker(s) on generation 1"));
    r.clock.advance(1_000);
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.live(2).length, 4);
  });

  it("back to the config's count, the override is gone", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGTTIN");
    r.adapter.signal("SIGTTOU");
    assert.equal(r.sup.state.scale.override, undefined);
    r.adapter.signal("SIGTTOU");
    assert.deepEqual(r.sup.state.scale.override, { workers: 1, against: 2 });
  });

  it("a config whose worker count changed wins over the override at the next reload, and says so", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGTTIN");
    r.readyAll(0);
    // What a reload that re-reads the config file does: the next generation starts with a new config.
    r.sup.config = { ...r.sup.config, workers: 5 };
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("The configuration's worker count (5) replaces the one set by SIGTTIN/SIGTTOU (3)"));
    assert.equal(r.adapter.live(1).length, 5);
    assert.equal(r.sup.state.scale.override, undefined);
  });

  it("an unchanged config keeps the override even when the config is read again", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGTTOU");
    r.sup.config = { ...r.sup.config };
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.live(1).length, 1);
  });

  it("during a reload the change waits for it to settle, then applies to the new generation", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGHUP");
    const mark = r.records.length;
    r.adapter.signal("SIGTTIN");
    assert.ok(r.lines(mark).includes("Received SIGTTIN — the worker count changes once the reload in progress settles"));
    assert.equal(r.adapter.live(1).length, 2, "the starting generation changed half-way");
    r.readyAll(1);
    assert.ok(r.lines(mark).includes("Worker count 2 → 3 (SIGTTIN): starting worker 4"));
    assert.equal(r.adapter.live(1).length, 3);
  });

  it("a change kept during a reload that fails applies to the generation that keeps serving", () => {
    const r = booted({ workers: "2" });
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGTTOU");
    r.adapter.worker(2).fail("failed to import app.ts: boom");
    assert.ok(r.lines().includes("Worker count 2 → 1 (SIGTTOU): draining worker 0"));
    assert.equal(serving(r, 0).length, 1);
  });

  it("during boot the change waits for start-up; during shutdown it is ignored", () => {
    const r = rig({ workers: "2" });
    r.sup.start();
    r.adapter.signal("SIGTTIN");
    assert.ok(r.lines().includes("Received SIGTTIN — the worker count changes once start-up completes"));
    assert.equal(r.adapter.live(0).length, 2);
    r.readyAll(0);
    assert.ok(r.lines().some((l) => l.startsWith("Ready to accept connections") && l.includes("2 worker(s)")));
    assert.equal(r.adapter.live(0).length, 3);
    r.adapter.signal("SIGTERM");
    r.adapter.signal("SIGTTIN");
    assert.ok(r.lines().includes("Received SIGTTIN during shutdown — ignored"));
    assert.equal(r.adapter.workers.length, 3);
  });

  it("without port sharing SIGTTIN is refused with the reason", () => {
    const r = booted({ workers: "1" }, (a) => {
      a.canOverlap = false;
      a.overlapUnavailableReason = "Bun.serve's reusePort shares a port only on Linux";
    });
    r.adapter.signal("SIGTTIN");
    assert.ok(
      r.lines().includes("Worker count stays at 1 (SIGTTIN): one worker only: Bun.serve's reusePort shares a port only on Linux"),
    );
    assert.equal(r.adapter.workers.length, 1);
  });
});
