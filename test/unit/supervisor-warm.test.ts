/** --warm-workers: pre-started workers taken by a reload, replaced after it, killed on stop, never in a loop. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { booted, type Rig, rig } from "./_fake.ts";

const warmSpawned = (r: Rig) => r.adapter.workers.filter((w) => w.spawnSpec.mode === "warm");
const assumes = (r: Rig) => r.adapter.workers.flatMap((w) => w.sent.filter((m) => m.type === "assume"));

/** Booted with generation 0 ready and every warm worker reporting `warm`. */
function warmBooted(flags: Record<string, string>, adapterSetup?: Parameters<typeof booted>[1]): Rig {
  const r = booted(flags, adapterSetup);
  for (const w of r.adapter.warmWaiting()) w.warm();
  return r;
}

/** Finish a reload: the new generation ready, the old one idle. */
function completeReload(r: Rig, newGen: number): void {
  r.readyAll(newGen);
  for (let i = 0; i < 10 && r.adapter.live(newGen - 1).length > 0; i++) {
    for (const w of r.adapter.live(newGen - 1)) if (w.drains.length > 0) w.idle();
    r.clock.advance(500);
  }
  assert.ok(r.events().includes("reload_complete"), "the reload did not complete");
}

describe("supervisor: warm workers", () => {
  it("are started only once boot is done, outside every generation, and not shown as serving", () => {
    const r = rig({ workers: "2", "warm-workers": "2" });
    r.sup.start();
    assert.equal(warmSpawned(r).length, 0, "a warm worker was started while generation 0 was starting");
    r.readyAll(0);
    assert.equal(warmSpawned(r).length, 2);
    for (const w of warmSpawned(r)) assert.equal(w.spec.mode, "warm");
    const snap = r.sup.snapshot();
    assert.equal(snap.workers.length, 2, "warm workers shown among the workers");
    assert.deepEqual(
      snap.warm?.map((w) => w.status),
      ["starting", "starting"],
    );
    for (const w of warmSpawned(r)) w.warm();
    assert.deepEqual(
      r.sup.snapshot().warm?.map((w) => w.status),
      ["waiting", "waiting"],
    );
    // Never heart-beaten: a long wait with no heartbeat from them kills nothing.
    r.clock.advance(120_000);
    assert.ok(warmSpawned(r).every((w) => !w.killed));
  });

  it("--warm-workers 0 (the default) starts none", () => {
    const r = booted({ workers: "2" });
    assert.equal(warmSpawned(r).length, 0);
    assert.equal(r.sup.snapshot().warm?.length, 0);
  });

  it("a reload takes the waiting warm workers instead of spawning: they assume the new generation's specs", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2" });
    const before = r.adapter.workers.length;
    const warmPids = warmSpawned(r).map((w) => w.pid);
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.workers.length, before, "a reload spawned although warm workers were waiting");
    const specs = assumes(r).map((m) => (m.type === "assume" ? m.spec : undefined));
    assert.deepEqual(
      specs.map((s) => [s?.id, s?.generation, s?.mode]),
      [
        [2, 1, "serve"],
        [3, 1, "serve"],
      ],
    );
    r.readyAll(1);
    assert.ok(r.events().includes("reimported"));
    const serving = r.sup.snapshot().workers.filter((w) => w.generation === 1);
    assert.deepEqual(serving.map((w) => w.pid).sort(), [...warmPids].sort(), "the warm workers' pids are not the new workers'");
    assert.equal(r.sup.snapshot().warm?.length, 0);
  });

  it("are replaced only after the reload that took them completed, never while it starts workers", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "3" });
    r.adapter.signal("SIGHUP");
    assert.equal(warmSpawned(r).length, 3);
    assert.equal(r.adapter.warmWaiting().length, 1, "two of three taken");
    r.readyAll(1);
    r.clock.advance(500); // both old workers told to drain, neither gone yet
    assert.equal(r.adapter.live(0).filter((w) => w.drains.length > 0).length, 2);
    assert.equal(warmSpawned(r).length, 3, "a warm worker started before the reload completed");
    completeReload(r, 1);
    assert.equal(warmSpawned(r).length, 5, "the two taken were not replaced");
    assert.equal(r.adapter.warmWaiting().length, 3);
  });

  it("one still starting when a reload comes is not taken (a fresh spawn instead), and none is started during the rollout", () => {
    const r = booted({ workers: "2", "warm-workers": "2" });
    const spawned = r.adapter.workers.length;
    r.adapter.signal("SIGHUP");
    assert.equal(r.adapter.workers.length, spawned + 2);
    assert.equal(assumes(r).length, 0);
    for (const w of r.adapter.warmWaiting()) w.warm(); // they finish their start during the rollout
    r.adapter.worker(2).ready();
    assert.equal(r.adapter.workers.length, spawned + 2, "something spawned while a new worker was starting");
    completeReload(r, 1);
    assert.equal(r.adapter.warmWaiting().length, 2, "the pool is not at its count after the reload");
    assert.equal(warmSpawned(r).length, 2, "warm workers were started although the pool was full");
  });

  it("none is started while a crash replacement starts, even once the reload completed", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.adapter.worker(2).exit(1); // a new worker dies while the old ones drain: its replacement starts
    const replacement = r.adapter.workers.at(-1);
    assert.equal(replacement?.spec.generation, 1);
    assert.equal(replacement?.spawnSpec.mode, "serve");
    r.clock.advance(1_000);
    for (const w of r.adapter.live(0)) w.idle();
    assert.ok(r.events().includes("reload_complete"));
    assert.equal(r.adapter.warmWaiting().length, 0, "warm workers started beside a starting replacement");
    replacement?.ready();
    assert.equal(r.adapter.warmWaiting().length, 2);
  });

  it("crash replacements and SIGTTIN spawn, never take one from the pool", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "3" });
    r.adapter.signal("SIGHUP");
    completeReload(r, 1);
    for (const w of r.adapter.warmWaiting()) w.warm();
    const taken = assumes(r).length;
    r.adapter.worker(2).exit(1); // a serving worker of generation 1 dies
    let last = r.adapter.workers.at(-1);
    assert.equal(last?.spawnSpec.mode, "serve", "the replacement was not spawned");
    assert.equal(last?.spec.generation, 1);
    last?.ready();
    r.adapter.signal("SIGTTIN");
    last = r.adapter.workers.at(-1);
    assert.equal(last?.spawnSpec.mode, "serve", "the added worker was not spawned");
    assert.equal(assumes(r).length, taken, "a warm worker was taken outside a reload");
    assert.equal(r.adapter.warmWaiting().length, 3);
  });

  it("a stop-then-start reload spawns its import check and takes warm workers for the restarted generation", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2", "reload-strategy": "restart" });
    const warmPids = r.adapter.warmWaiting().map((w) => w.pid);
    r.adapter.signal("SIGHUP");
    const check = r.adapter.workers.at(-1);
    assert.equal(check?.spawnSpec.mode, "check", "the import check was not spawned");
    assert.equal(assumes(r).length, 0, "a warm worker was taken for the import check");
    check?.ready();
    check?.exit(0);
    for (const w of r.adapter.live(0)) if (w.drains.length > 0) w.idle();
    r.sup.dispatch({ type: "shared-listener-closed" });
    for (const w of r.adapter.live(0)) if (w.drains.length > 0) w.idle();
    assert.equal(assumes(r).length, 2, "the restarted generation did not take the warm workers");
    r.readyAll(1);
    assert.deepEqual(
      r.sup
        .snapshot()
        .workers.filter((w) => w.generation === 1)
        .map((w) => w.pid)
        .sort(),
      [...warmPids].sort(),
    );
  });

  it("one whose spawn fixed something the spec changes is killed and a fresh worker spawned", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2" }, (a) => {
      a.canAssume = () => false;
    });
    const warm = r.adapter.warmWaiting();
    r.adapter.signal("SIGHUP");
    assert.ok(
      warm.every((w) => w.killed),
      "a warm worker that cannot assume was left running",
    );
    assert.equal(assumes(r).length, 0);
    const fresh = r.adapter.live(1);
    assert.equal(fresh.length, 2);
    for (const w of fresh) assert.equal(w.spawnSpec.mode, "serve");
    assert.ok(
      r
        .lines()
        .includes(
          "Warm worker 1 cannot become worker 2 (its user, group or runtime flags were fixed at spawn) — starting a new worker instead",
        ),
    );
    assert.ok(!r.events().includes("warm_died"), "a warm worker killed by the supervisor counted as died");
    completeReload(r, 1);
    assert.equal(r.adapter.warmWaiting().length, 2, "the killed ones were not replaced after the reload");
  });

  it("one that dies on its own is not replaced until the next completed reload", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2" });
    const [dead] = r.adapter.warmWaiting();
    dead?.exit(1);
    assert.ok(r.lines().includes("Warm worker 1 died (exit code 1) — not replaced until the next reload completes"));
    r.clock.advance(60_000);
    r.adapter.signal("SIGTTIN"); // events and alarms come and go: still no respawn
    r.clock.advance(60_000);
    assert.equal(warmSpawned(r).length, 2, "a dead warm worker was respawned before a reload");
    r.adapter.signal("SIGHUP");
    assert.equal(assumes(r).length, 1, "the surviving warm worker was not taken");
    completeReload(r, 1);
    assert.equal(r.adapter.warmWaiting().length, 2);
  });

  it("a stop kills them at once; the server still drains and exits 0", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2" });
    const warm = r.adapter.warmWaiting();
    r.adapter.signal("SIGTERM");
    assert.ok(warm.every((w) => w.killed));
    for (const w of r.adapter.live(0)) w.idle();
    assert.equal(r.adapter.exitCode, 0);
    assert.equal(warmSpawned(r).length, 2, "a warm worker was started while stopping");
  });

  it("a taken worker that fails to start fails the reload like a spawned one; the old generation serves on", () => {
    const r = warmBooted({ workers: "2", "warm-workers": "2" });
    r.adapter.signal("SIGHUP");
    r.adapter.worker(2).ready();
    r.adapter.worker(3).fail("failed to import app.ts: boom");
    assert.ok(r.lines().includes("Reload failed — continuing with previous version: failed to import app.ts: boom"));
    assert.equal(r.sup.snapshot().active, 0);
    // Nothing completed: the pool is refilled once nothing starts (the failed reload's workers are gone).
    assert.equal(r.adapter.warmWaiting().length, 2);
  });

  it("an adapter whose workers cannot assume gets one warning and fresh spawns", () => {
    const r = booted({ workers: "2", "warm-workers": "2" }, (a) => {
      a.noAssume = true;
    });
    assert.equal(warmSpawned(r).length, 1);
    assert.ok(warmSpawned(r)[0]?.killed);
    assert.ok(r.events().includes("warm_unsupported"));
    r.adapter.signal("SIGHUP");
    completeReload(r, 1);
    assert.equal(warmSpawned(r).length, 1, "warm workers were started again");
  });
});
