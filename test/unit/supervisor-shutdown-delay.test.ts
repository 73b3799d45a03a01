/** --shutdown-delay: serve on with health 503 for the delay, then drain; a second signal cuts it short. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted, rig } from "./_fake.ts";

describe("supervisor: shutdown delay", () => {
  it("tells every worker to turn health 503, keeps serving for the delay, then drains and exits 0", () => {
    const r = booted({ "shutdown-delay": "5" });
    r.adapter.signal("SIGTERM");
    for (const w of r.adapter.live()) assert.deepEqual(w.sent, [{ type: "unready" }]);
    assert.ok(r.lines().includes("Health now answers 503; serving for 5.0s more before draining (--shutdown-delay)"));
    r.clock.advance(4_999);
    for (const w of r.adapter.live()) assert.equal(w.drains.length, 0, "no drain before the delay is over");
    r.adapter.signal("SIGHUP");
    assert.ok(r.lines().includes("Received SIGHUP during shutdown — ignored"));
    r.clock.advance(1);
    for (const w of r.adapter.live())
      assert.deepEqual(w.drains, [{ type: "drain", reason: "shutdown", timeoutMs: 10_000, lastListener: true }]);
    r.adapter.worker(0).idle();
    r.adapter.worker(1).idle();
    assert.equal(r.adapter.exitCode, 0);
    assert.deepEqual(r.events().slice(-6), [
      "shutdown_delayed",
      "reload_ignored",
      "shutting_down",
      "worker_stopped",
      "worker_stopped",
      "stopped",
    ]);
  });

  it("a second stop signal during the delay drains at once; a third kills everything", () => {
    const r = booted({ "shutdown-delay": "30" });
    r.adapter.signal("SIGTERM");
    r.clock.advance(1_000);
    r.adapter.signal("SIGINT");
    assert.ok(r.lines().includes("Received second SIGINT — draining now instead of at the end of the shutdown delay"));
    for (const w of r.adapter.live()) assert.equal(w.drains.length, 1);
    assert.equal(r.adapter.exitCode, undefined);
    r.adapter.signal("SIGTERM");
    assert.ok(r.adapter.workers.every((w) => w.killed));
    assert.equal(r.adapter.exitCode, 1);
  });

  it("a crash during the delay is not replaced, and once every worker is gone the server exits 0", () => {
    const r = booted({ "shutdown-delay": "5" });
    r.adapter.signal("SIGTERM");
    r.adapter.worker(0).exit(1);
    r.clock.advance(2_000);
    assert.equal(r.adapter.workers.length, 2, "no replacement is started while stopping");
    r.adapter.worker(1).exit(1);
    assert.equal(r.adapter.exitCode, 0);
  });

  it("SIGTERM during boot skips the delay (nothing was serving)", () => {
    const r = rig({ "shutdown-delay": "5" });
    r.sup.start();
    r.adapter.signal("SIGTERM");
    assert.ok(!r.events().includes("shutdown_delayed"));
  });
});
