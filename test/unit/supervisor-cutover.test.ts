/** Cut-over: announced once every older worker was told to drain and reported its listener closed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted } from "./_fake.ts";

describe("supervisor: cut-over", () => {
  it("comes after the last stagger step and the last listener-closed, before reload complete", () => {
    const r = booted({ workers: "2", "reload-stagger": "0.5" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    // Worker 0 drains at once; worker 1 waits its turn.
    r.adapter.worker(0).events.message({ type: "listener-closed" });
    assert.ok(!r.events().includes("cutover_complete"), "cut-over before every old worker was told to drain");
    r.clock.advance(500);
    assert.equal(r.adapter.worker(1).drains.length, 1);
    assert.ok(!r.events().includes("cutover_complete"), "cut-over while worker 1 may still accept");
    r.adapter.worker(1).events.message({ type: "listener-closed" });
    assert.ok(r.lines().includes("Cut-over complete: every new connection goes to generation 1"));
    assert.ok(!r.events().includes("reload_complete"));
    r.adapter.worker(0).idle();
    r.adapter.worker(1).idle();
    const ev = r.events();
    assert.ok(ev.indexOf("cutover_complete") < ev.indexOf("reload_complete"));
  });

  it("an old worker that exits counts as not accepting", () => {
    const r = booted({ workers: "1" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.adapter.worker(0).idle();
    const ev = r.events();
    assert.deepEqual(
      ev.filter((e) => e === "cutover_complete" || e === "reload_complete"),
      ["cutover_complete", "reload_complete"],
    );
  });

  it("a failed reload announces no cut-over", () => {
    const r = booted({ workers: "1" });
    r.adapter.signal("SIGHUP");
    r.adapter.live(1)[0]?.fail("boom");
    assert.ok(r.events().includes("reload_failed"));
    assert.ok(!r.events().includes("cutover_complete"));
  });

  it("stop-then-start cuts over when the new generation is ready (nothing old is left)", () => {
    const r = booted({ workers: "1", "reload-strategy": "restart" });
    r.adapter.signal("SIGHUP");
    r.adapter.live(-1)[0]?.ready(); // the import check
    r.adapter.live(0)[0]?.idle();
    r.readyAll(1);
    assert.ok(r.events().includes("cutover_complete"));
  });
});
