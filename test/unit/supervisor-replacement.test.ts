/** Crash and fatal-error replacement, back-off, and the record-keeping bugs of issue 9. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted } from "./_fake.ts";

describe("supervisor: crash replacement", () => {
  it("a serving worker that dies is replaced at once the first time, then with growing back-off", () => {
    const r = booted();
    r.adapter.worker(0).exit(1);
    assert.ok(r.lines().includes("Worker 0 (generation 0) died (exit code 1)"));
    assert.equal(r.adapter.live(0).length, 2, "not replaced at once");
    r.adapter.worker(2).ready();
    assert.ok(r.lines().includes("Replacement worker 2 (generation 0) is ready"));
    r.adapter.worker(2).exit(1);
    assert.ok(r.lines().includes("Workers keep dying — next replacement in 0.1s"));
    assert.equal(r.adapter.live(0).length, 1);
    r.clock.advance(99);
    assert.equal(r.adapter.live(0).length, 1);
    r.clock.advance(1);
    assert.equal(r.adapter.live(0).length, 2);
    r.adapter.worker(3).ready().exit(1);
    assert.ok(r.lines().includes("Workers keep dying — next replacement in 0.2s"));
  });

  it("keeps no records of exited workers (issue 9 bug 6)", () => {
    const r = booted();
    for (let i = 0; i < 20; i++) {
      const w = r.adapter.live(0)[0];
      w?.exit(1);
      r.clock.advance(20_000);
      r.readyAll(0);
    }
    const snap = r.sup.snapshot();
    assert.equal(snap.workers.length, 2);
    assert.deepEqual(snap.generations, [0]);
  });

  it("a replacement that fails to start is retried with back-off", () => {
    const r = booted({ workers: "1" });
    r.adapter.worker(0).exit(1);
    r.adapter.worker(1).fail("failed to import app.ts: disk full");
    assert.ok(r.lines().includes("Replacement worker 1 (generation 0) failed to start: failed to import app.ts: disk full"));
    r.clock.advance(100);
    assert.equal(r.adapter.live(0).length, 1, "the failed replacement was not retried");
    r.readyAll(0);
    assert.equal(r.sup.snapshot().workers[0]?.status, "ready");
  });
});

describe("supervisor: fatal-error replacement", () => {
  it("starts a replacement and drains the faulty worker once the replacement is ready", () => {
    const r = booted({ workers: "1" });
    r.adapter.worker(0).fatal("background boom");
    assert.ok(
      r
        .lines()
        .includes("Worker 0 (generation 0) reported a fatal error (background boom) — starting a replacement, then draining it"),
    );
    assert.equal(r.adapter.worker(0).drains.length, 0);
    r.adapter.worker(1).ready();
    assert.ok(r.lines().includes("Worker 1 replaces worker 0, which is now draining"));
    assert.equal(r.adapter.worker(0).drains[0]?.reason, "replace");
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.live().length, 1);
  });

  it("a fatal worker that dies before its replacement is ready leaves exactly N workers (bug 2)", () => {
    const r = booted({ workers: "2" });
    r.adapter.worker(0).fatal();
    assert.equal(r.adapter.live().length, 3);
    r.adapter.worker(0).exit(1);
    r.clock.advance(60_000);
    assert.equal(r.adapter.live().length, 2, "an extra worker was spawned");
    r.readyAll(0);
    r.clock.advance(60_000);
    assert.equal(r.adapter.live().length, 2);
  });

  it("a fatal worker's replacement that fails to start is retried; later reports change nothing (bug 3)", () => {
    const r = booted({ workers: "1" });
    r.adapter.worker(0).fatal();
    r.adapter.worker(1).fail("failed to import app.ts: flaky");
    r.adapter.worker(0).fatal("again");
    assert.equal(r.lines().filter((l) => l.includes("reported a fatal error")).length, 1);
    r.clock.advance(100);
    const retry = r.adapter.live(0).find((w) => w.id !== 0);
    assert.ok(retry, "the replacement was not retried");
    retry.ready();
    assert.equal(r.adapter.worker(0).drains[0]?.reason, "replace", "the faulty worker goes on serving");
    assert.ok(r.lines().includes(`Worker ${retry.id} replaces worker 0, which is now draining`));
  });

  it("without port sharing, the faulty worker is drained first and replaced once it is gone (bug 4)", () => {
    const r = booted({ workers: "1", "reload-strategy": "restart" }, (a) => {
      a.canOverlap = false;
    });
    r.adapter.worker(0).fatal("boom");
    assert.ok(r.lines().some((l) => l.endsWith("draining it, then starting a replacement (no port sharing)")));
    assert.equal(r.adapter.worker(0).drains[0]?.reason, "replace");
    assert.equal(r.adapter.live().length, 1, "a replacement started while the old worker still listens");
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.live().length, 1);
    r.readyAll(0);
    assert.equal(r.sup.snapshot().workers[0]?.status, "ready");
  });

  it("fatal reports from a retired generation's worker are ignored", () => {
    const r = booted({ workers: "1" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.adapter.worker(0).fatal();
    assert.equal(r.adapter.workers.length, 2);
  });
});
