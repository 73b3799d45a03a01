/**
 * Shutdown where the supervisor process owns the listener (the adapter's closeSharedListener, Node's
 * cluster primary): the workers keep serving until it is closed and handed over, then drain; the
 * wait is bounded. Fake adapter, fake clock.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted, type FakeAdapter } from "./_fake.ts";

/** A fake adapter's closeSharedListener the test settles. */
function handOver() {
  const h = { calls: 0, finish: () => {} };
  const setup = (a: FakeAdapter) => {
    a.closeSharedListener = () => {
      h.calls++;
      return new Promise<void>((resolve) => (h.finish = resolve));
    };
  };
  return { h, setup };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe("supervisor: shutdown with the supervisor's own listener", () => {
  it("SIGTERM closes the listener first; the workers drain only once it is handed over, then exit 0", async () => {
    const { h, setup } = handOver();
    const r = booted({}, setup);
    r.adapter.signal("SIGTERM");
    assert.equal(h.calls, 1);
    assert.deepEqual(r.events().slice(-2), ["shutdown_requested", "shutting_down"]);
    for (const w of r.adapter.live()) assert.deepEqual(w.drains, [], "no drain before the hand-over");
    r.clock.advance(1_000);
    await settle();
    for (const w of r.adapter.live()) assert.deepEqual(w.drains, []);
    h.finish();
    await settle();
    // The hand-over took 1 s of the 10 s shutdown_timeout: the drain has the other 9.
    for (const w of r.adapter.live())
      assert.deepEqual(w.drains, [{ type: "drain", reason: "shutdown", timeoutMs: 9_000, lastListener: true }]);
    for (const w of r.adapter.live()) w.idle();
    assert.equal(r.adapter.exitCode, 0);
  });

  it("a hand-over that never finishes: the workers drain after shutdown_timeout (10 s)", async () => {
    const { setup } = handOver();
    const r = booted({}, setup);
    r.adapter.signal("SIGTERM");
    r.clock.advance(9_999);
    for (const w of r.adapter.live()) assert.deepEqual(w.drains, []);
    r.clock.advance(1);
    // shutdown_timeout bounds the whole: nothing is left for the drain.
    for (const w of r.adapter.live())
      assert.deepEqual(w.drains, [{ type: "drain", reason: "shutdown", timeoutMs: 0, lastListener: true }]);
  });

  it("--shutdown-timeout 2 bounds the hand-over to 2 s; a second SIGTERM during it kills everything, exit 1", async () => {
    const { h, setup } = handOver();
    const r = booted({ "shutdown-timeout": "2" }, setup);
    r.adapter.signal("SIGTERM");
    r.clock.advance(2_000);
    for (const w of r.adapter.live()) assert.equal(w.drains.length, 1);

    const { setup: setup2 } = handOver();
    const r2 = booted({}, setup2);
    r2.adapter.signal("SIGTERM");
    r2.adapter.signal("SIGTERM");
    assert.equal(r2.adapter.live().length, 0);
    assert.equal(r2.adapter.exitCode, 1);
    h.finish();
    await settle();
  });

  it("--shutdown-delay: the listener closes at the end of the delay, not at the signal", async () => {
    const { h, setup } = handOver();
    const r = booted({ "shutdown-delay": "1" }, setup);
    r.adapter.signal("SIGTERM");
    assert.equal(h.calls, 0);
    r.clock.advance(1_000);
    assert.equal(h.calls, 1);
    h.finish();
    await settle();
    for (const w of r.adapter.live()) assert.equal(w.drains.length, 1);
  });
});

describe("supervisor: stop-then-start reload with the supervisor's own listener", () => {
  const restart = { "reload-strategy": "restart", workers: "1" };

  it("the listener closes once the import check passed; the old worker drains only after the hand-over, then the new one starts", async () => {
    const { h, setup } = handOver();
    const r = booted(restart, setup);
    r.adapter.signal("SIGHUP");
    assert.equal(h.calls, 0, "closed before the new code passed its check");
    r.adapter.workers[1]?.ready().exit(0);
    assert.equal(h.calls, 1);
    assert.deepEqual(r.adapter.worker(0).drains, [], "drained while the listener still hands it connections");
    r.clock.advance(400);
    h.finish();
    await settle();
    // The hand-over took 0.4 s of the 30 s reload_timeout.
    assert.deepEqual(r.adapter.worker(0).drains, [{ type: "drain", reason: "reload", timeoutMs: 29_600, lastListener: true }]);
    assert.equal(r.adapter.live(1).length, 0, "new started while the old still listens");
    r.adapter.worker(0).idle();
    r.readyAll(1);
    assert.ok(r.lines().includes("Graceful reload complete. Running 1 worker(s) on generation 1"));
  });

  it("a hand-over that never finishes: the old worker drains at reload_timeout", () => {
    const { setup } = handOver();
    const r = booted({ ...restart, "reload-timeout": "5" }, setup);
    r.adapter.signal("SIGHUP");
    r.adapter.workers[1]?.ready().exit(0);
    r.clock.advance(4_999);
    assert.deepEqual(r.adapter.worker(0).drains, []);
    r.clock.advance(1);
    assert.deepEqual(r.adapter.worker(0).drains, [{ type: "drain", reason: "reload", timeoutMs: 0, lastListener: true }]);
  });

  it("an overlap reload leaves the listener open (the new workers take it over)", () => {
    const { h, setup } = handOver();
    const r = booted({ workers: "1" }, setup);
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.clock.advance(5_000);
    assert.equal(h.calls, 0);
    assert.equal(r.adapter.worker(0).drains.length, 1);
  });
});
