/** --reload-batch: workers replaced N at a time, the first batch as the gate, a later failure rolled back. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import { booted, type Rig } from "./_fake.ts";

const drained = (r: Rig, gen: number) => r.adapter.workers.filter((w) => w.spec.generation === gen && w.drains.length > 0);

describe("supervisor: reload in batches", () => {
  it("starts N new, waits until they are ready, drains N old, waits until they are gone, then the next N", () => {
    const r = booted({ workers: "4", "reload-batch": "1" });
    let peak = 0;
    const track = () => (peak = Math.max(peak, r.adapter.live().length));
    r.adapter.signal("SIGHUP");
    track();
    assert.ok(r.lines().includes("Starting batch 1 of 4 (1 worker(s), generation 1)..."));
    assert.equal(r.adapter.live(1).length, 1);
    r.adapter.worker(4).ready();
    assert.ok(r.lines().includes(`Successfully reimported app from ${r.config.entry}`));
    assert.ok(
      r.lines().includes("Batch 1 of 4 ready (generation 1); draining 1 old worker(s) (generation 0) before the next batch"),
    );
    assert.equal(drained(r, 0).length, 1);
    assert.deepEqual(
      drained(r, 0).map((w) => w.id),
      [0],
    );
    assert.equal(r.adapter.live(1).length, 1, "the next batch started before the old worker was gone");
    for (let batch = 2; batch <= 4; batch++) {
      const old = drained(r, 0).at(-1);
      old?.idle();
      track();
      assert.ok(r.lines().includes(`Starting batch ${batch} of 4 (1 worker(s), generation 1)...`));
      assert.equal(r.adapter.live(1).length, batch);
      r.readyAll(1);
      track();
    }
    // The last batch ready is the hand-over: the one old worker left drains.
    assert.ok(r.lines().includes("New workers spawned. Draining old workers (generation 0)..."));
    assert.equal(r.lines().filter((l) => l.startsWith("Successfully reimported")).length, 1);
    for (const w of r.adapter.live(0)) w.idle();
    assert.ok(r.lines().includes("Graceful reload complete. Running 4 worker(s) on generation 1"));
    assert.equal(peak, 5, "more than old + one batch ran at once");
    assert.equal(r.adapter.workers.length, 8, "a drained old worker was replaced");
  });

  it("batches of 2 of 5 workers: 2, 2, then the last 1", () => {
    const r = booted({ workers: "5", "reload-batch": "2", "reload-stagger": "0" });
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.live(1).length, 2);
    r.readyAll(1);
    assert.equal(drained(r, 0).length, 2);
    for (const w of drained(r, 0)) w.idle();
    assert.ok(r.lines().includes("Starting batch 2 of 3 (2 worker(s), generation 1)..."));
    r.readyAll(1);
    for (const w of drained(r, 0)) w.idle();
    assert.ok(r.lines().includes("Starting batch 3 of 3 (1 worker(s), generation 1)..."));
    r.readyAll(1);
    assert.equal(r.adapter.live(0).filter((w) => w.drains.length === 0).length, 0);
    for (const w of r.adapter.live(0)) w.idle();
    assert.ok(r.lines().includes("Graceful reload complete. Running 5 worker(s) on generation 1"));
  });

  it("a bad deploy is caught by the first batch: its workers are killed, the old generation keeps every worker", () => {
    const r = booted({ workers: "4", "reload-batch": "1" });
    r.adapter.signal("SIGHUP");
    r.adapter.worker(4).fail("failed to import app.ts: boom");
    assert.ok(r.lines().includes("Reload failed — continuing with previous version: failed to import app.ts: boom"));
    assert.equal(drained(r, 0).length, 0);
    assert.equal(r.adapter.live(0).length, 4);
    assert.equal(r.adapter.workers.length, 5, "something else started");
    assert.equal(r.sup.snapshot().active, 0);
    // The next reload starts from a clean state.
    r.clock.advance(1_000);
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("Starting batch 1 of 4 (1 worker(s), generation 2)..."));
  });

  it("a later batch that fails brings the old generation back to its count before the new workers drain", () => {
    const r = booted({ workers: "4", "reload-batch": "1" });
    r.adapter.signal("SIGHUP");
    r.adapter.worker(4).ready(); // batch 1 ready: old worker 0 drains
    r.adapter.worker(0).idle();
    r.adapter.worker(5).fail("worker 5 exited during start-up (exit code 1)"); // batch 2 fails
    assert.ok(
      r
        .lines()
        .includes(
          "Reload failed in batch 2 of 4 — continuing with previous version (its workers start again, then generation 1's drain): worker 5 exited during start-up (exit code 1)",
        ),
    );
    // The old generation starts the worker it gave up; the new worker that serves keeps serving.
    const restarted = r.adapter.live(0).filter((w) => w.sent.length === 0 && w.id > 5);
    assert.equal(restarted.length, 1);
    assert.equal(r.adapter.worker(4).drains.length, 0, "drained before the old generation was back");
    restarted[0]?.ready();
    assert.ok(r.lines().includes("Previous version back at 4 worker(s) (generation 0); draining the workers of generation 1"));
    assert.deepEqual(
      r.adapter.worker(4).drains.map((d) => d.reason),
      ["reload"],
    );
    assert.equal(r.sup.snapshot().active, 0);
    assert.equal(r.sup.snapshot().rollout, undefined);
    r.adapter.worker(4).idle();
    assert.equal(r.adapter.live(0).length, 4);
    assert.equal(r.adapter.live().length, 4);
  });

  it("SIGTERM during a batched reload drains the new workers already serving instead of killing them", () => {
    const r = booted({ workers: "3", "reload-batch": "1" });
    r.adapter.signal("SIGHUP");
    r.adapter.worker(3).ready();
    r.adapter.worker(0).idle();
    r.adapter.signal("SIGTERM"); // batch 2 (worker 4) still starting
    assert.ok(r.adapter.worker(4).killed);
    assert.ok(!r.adapter.worker(3).killed);
    assert.deepEqual(
      r.adapter.worker(3).drains.map((d) => d.reason),
      ["shutdown"],
    );
    for (const w of r.adapter.live()) w.idle();
    assert.equal(r.adapter.exitCode, 0);
  });

  it("a batch as large as the generation is an ordinary reload", () => {
    const r = booted({ workers: "2", "reload-batch": "2" });
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.live(1).length, 2);
    assert.ok(!r.events().includes("batch_starting"));
  });

  it("where reloads fall back to stop-then-start (no port sharing), the warning says the batch does not apply", () => {
    const r = booted({ workers: "1", "reload-batch": "1" }, (a) => {
      a.canOverlap = false;
      a.overlapUnavailableReason = "no port sharing here";
    });
    assert.ok(
      r
        .lines()
        .includes(
          "Reloads will stop the old workers before starting new ones (no port sharing here): expect a short gap in service on each reload (--reload-batch does not apply)",
        ),
    );
  });

  it("--reload-batch with --reload-strategy restart is refused with the reason", () => {
    assert.throws(
      () => resolveConfig("app.ts", { "reload-batch": "1", "reload-strategy": "restart" }, {}),
      /--reload-batch needs overlapping reloads, and --reload-strategy restart stops every old worker/,
    );
    assert.throws(() => resolveConfig("app.ts", { "reload-batch": "-1" }, {}), /--reload-batch must be a whole number/);
    assert.equal(resolveConfig("app.ts", {}, { POUNCE_RELOAD_BATCH: "2" }).reloadBatch, 2);
  });
});
