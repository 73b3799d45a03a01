/**
 * Shutdown where the supervisor process owns the listener (the adapter's closeSharedListener, Node's
 * cluster primary): the workers keep serving until it is closed and handed over, then drain; the
 * wait is bounded. Fake adapter, fake clock.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted } from "./_fake.ts";

/** A fake adapter's closeSharedListener the test settles. */
function handOver() {
  const h = { calls: 0, finish: () => {} };
  const setup = (a: { closeSharedListener?: () => Promise<void> }) => {
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
    for (const w of r.adapter.live()) assert.deepEqual(w.drains, [{ type: "drain", reason: "shutdown", timeoutMs: 9_000 }]);
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
    for (const w of r.adapter.live()) assert.deepEqual(w.drains, [{ type: "drain", reason: "shutdown", timeoutMs: 0 }]);
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
