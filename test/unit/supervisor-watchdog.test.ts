/** --worker-timeout: the watchdog's deadline, on the fake clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FakeWorker } from "./_fake.ts";
import { booted } from "./_fake.ts";

const beat = (w: FakeWorker, served = 0) => w.events.message({ type: "heartbeat", rss: 10 * 1024 * 1024, served });

describe("supervisor: watchdog (--worker-timeout)", () => {
  it("kills a ready worker that sent no heartbeat for the timeout, says why, and starts its replacement at once", () => {
    const r = booted({ workers: "2", "worker-timeout": "2" });
    const [a, b] = [r.adapter.worker(0), r.adapter.worker(1)];
    r.clock.advance(1_000);
    beat(a);
    r.clock.advance(999); // b silent for 1999 ms: still alive
    assert.equal(b.killed, false);
    r.clock.advance(1); // 2000 ms: killed by the alarm alone (no other event)
    assert.equal(b.killed, true, "the silent worker was not killed at its deadline");
    assert.equal(a.killed, false, "a worker that beat was killed");
    const line = r.lines().find((l) => l.startsWith("Worker 1 (generation 0) sent no heartbeat for 2.0s"));
    assert.ok(line, r.lines().join("\n"));
    assert.match(line, /worker_timeout 2\.0s.*killing it \(SIGKILL\)/);
    assert.equal(r.adapter.live(0).length, 2, "no replacement started");
    const replacement = r.adapter.live(0).find((w) => w !== a) as FakeWorker;
    assert.equal(replacement.id, 2);
    replacement.ready();
    assert.ok(r.lines().includes("Replacement worker 2 (generation 0) is ready"));
  });

  it("a worker that keeps beating is never killed", () => {
    const r = booted({ workers: "1", "worker-timeout": "1" });
    const w = r.adapter.worker(0);
    for (let i = 0; i < 50; i++) {
      r.clock.advance(900);
      beat(w);
    }
    assert.equal(w.killed, false);
    assert.equal(r.adapter.workers.length, 1);
  });

  it("0 turns it off; a draining or starting worker is not watched (it has its own deadline)", () => {
    const off = booted({ workers: "1", "worker-timeout": "0" });
    off.clock.advance(600_000);
    assert.equal(off.adapter.worker(0).killed, false);

    const r = booted({ workers: "1", "worker-timeout": "1", "reload-timeout": "30" });
    r.adapter.signal("SIGHUP");
    r.clock.advance(500);
    beat(r.adapter.worker(0));
    r.clock.advance(900); // worker 1 starting, silent: only its startup deadline applies
    assert.equal(r.adapter.worker(1).killed, false);
    beat(r.adapter.worker(0));
    r.adapter.worker(1).ready();
    r.clock.advance(600); // reload_stagger 0.5 s: worker 0 drains
    r.clock.advance(5_000); // worker 0 draining, silent for 5 s: its drain deadline (30 s) applies
    assert.equal(r.adapter.worker(0).drains.length, 1);
    assert.equal(r.adapter.worker(0).killed, false, "a draining worker was killed by the watchdog");
  });

  it("an old worker waiting its turn to drain is killed but not replaced, and the line says no more", () => {
    const r = booted({ workers: "2", "worker-timeout": "1", "reload-stagger": "10" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    const drained = r.adapter.live(0).filter((w) => w.drains.length > 0);
    assert.equal(drained.length, 1, "one old worker drains at once, the other waits the stagger");
    const waiting = r.adapter.live(0).find((w) => w.drains.length === 0) as FakeWorker;
    for (let i = 0; i < 3; i++) {
      r.clock.advance(400);
      for (const w of r.adapter.live(1)) beat(w);
    }
    assert.equal(waiting.killed, true);
    const line = r.lines().find((l) => l.startsWith(`Worker ${waiting.id} (generation 0) sent no heartbeat`));
    assert.ok(line?.endsWith("killing it (SIGKILL)"), line);
    assert.equal(r.adapter.workers.length, 4, "a replacement started for an old worker");
  });

  it("is on by default, at 30 s (gunicorn's timeout)", () => {
    const r = booted({ workers: "1" });
    assert.equal(r.config.workerTimeout, 30);
    r.clock.advance(29_999);
    assert.equal(r.adapter.worker(0).killed, false);
    r.clock.advance(1);
    assert.equal(r.adapter.worker(0).killed, true);
  });

  it("tells workers to beat at least four times per timeout, at most once a second", () => {
    assert.equal(booted({ workers: "1", "worker-timeout": "2" }).adapter.worker(0).spec.heartbeatMs, 500);
    assert.equal(booted({ workers: "1", "worker-timeout": "30" }).adapter.worker(0).spec.heartbeatMs, 1000);
    assert.equal(booted({ workers: "1", "worker-timeout": "0" }).adapter.worker(0).spec.heartbeatMs, 1000);
  });
});
