/** The worker started before the configuration was read (src/supervisor/prespawn.ts): boot takes it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FakeWorker, rig } from "./_fake.ts";

describe("supervisor: the prespawned worker", () => {
  it("becomes boot's first worker, told to assume only once it said `warm`; the second is spawned", () => {
    const r = rig({ workers: "2" }, undefined, { prespawned: true });
    const pre = r.adapter.workers[0] as FakeWorker;
    assert.equal(pre.spec.mode, "warm");
    r.sup.start();
    assert.equal(r.adapter.workers.length, 2, "boot spawned two workers although one was prespawned");
    assert.equal(pre.sent.length, 0, "assume sent before the worker said warm (it may not listen yet)");
    pre.warm();
    const specs = pre.sent.flatMap((m) => (m.type === "assume" ? [[m.spec.id, m.spec.generation, m.spec.mode]] : []));
    assert.deepEqual(specs, [[0, 0, "serve"]]);
    r.readyAll(0);
    assert.ok(r.events().includes("ready"), "boot did not complete");
    assert.equal(r.sup.snapshot().workers.find((w) => w.id === 0)?.pid, pre.pid);
    assert.equal(r.sup.snapshot().warm?.length, 0);
  });

  it("one that already said `warm` before the supervisor existed is told at once", () => {
    const r = rig({ workers: "1" }, undefined, { prespawned: true });
    const pre = r.adapter.workers[0];
    pre?.warm(); // held until the supervisor attaches
    r.sup.start();
    assert.equal(r.adapter.workers.length, 1);
    assert.equal(pre?.sent.filter((m) => m.type === "assume").length, 1);
    assert.ok(!r.events().includes("warm_ready"), "the prespawned worker was logged as waiting for a reload");
  });

  it("one whose spawn does not fit the configuration is killed and boot spawns (debug line only)", () => {
    const r = rig(
      { workers: "1" },
      (a) => {
        a.canAssume = () => false;
      },
      { prespawned: true },
    );
    const pre = r.adapter.workers[0];
    r.sup.start();
    assert.ok(pre?.killed, "the unfit prespawned worker was not killed");
    assert.equal(r.adapter.live(0).length, 1);
    const line = r.records.find((x) => x.event === "prespawn_unused");
    assert.equal(line?.level, "debug");
    assert.ok(!r.events().includes("warm_mismatch"));
    r.readyAll(0);
    assert.ok(r.events().includes("ready"));
  });

  it("--log-format json: its output was not captured at spawn, so boot spawns instead", () => {
    const r = rig({ workers: "1", "log-format": "json" }, undefined, { prespawned: true });
    r.sup.start();
    assert.ok(r.adapter.workers[0]?.killed);
    assert.equal(r.adapter.live(0).length, 1);
  });

  it("one that dies before it is taken costs nothing: boot spawns, and no warm worker is owed or started", () => {
    const r = rig({ workers: "1" }, undefined, { prespawned: true });
    r.adapter.workers[0]?.exit(1);
    r.sup.start();
    assert.equal(r.adapter.live(0).length, 1);
    r.readyAll(0);
    assert.ok(r.events().includes("ready"));
    assert.equal(r.adapter.warmWaiting().length, 0);
    assert.equal(r.sup.state.warm.lost, 0);
  });

  it("a stop during boot kills it with the rest (taken, still starting)", () => {
    const r = rig({ workers: "1" }, undefined, { prespawned: true });
    const pre = r.adapter.workers[0];
    r.sup.start();
    r.adapter.signal("SIGTERM");
    r.clock.advance(60_000);
    assert.ok(pre?.exited, "the prespawned worker outlived a stop during boot");
  });
});
