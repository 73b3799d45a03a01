/** --max-requests (+ jitter) and --max-worker-memory: recycling through the replacement path. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import { requestLimit } from "../../src/supervisor/recycle.ts";
import type { FakeWorker } from "./_fake.ts";
import { booted } from "./_fake.ts";

const MIB = 1024 * 1024;
const beat = (w: FakeWorker, served: number, rssMiB = 10) => w.events.message({ type: "heartbeat", rss: rssMiB * MIB, served });

describe("supervisor: recycling", () => {
  it("max-requests: a replacement starts, the old worker drains only once it is ready", () => {
    const r = booted({ workers: "1", "max-requests": "100" });
    const old = r.adapter.worker(0);
    assert.equal(old.spec.maxRequests, 100);
    beat(old, 99);
    assert.equal(r.adapter.workers.length, 1, "recycled before its limit");
    beat(old, 100);
    assert.ok(
      r
        .lines()
        .includes(
          "Worker 0 (generation 0) served 100 requests (max_requests 100) — recycling: starting a replacement, then draining it",
        ),
      r.lines().join("\n"),
    );
    assert.equal(r.adapter.live(0).length, 2);
    assert.equal(old.drains.length, 0, "drained before its replacement was ready");
    beat(old, 150); // still serving meanwhile; recycled once only
    assert.equal(r.adapter.workers.length, 2);
    r.adapter.worker(1).ready();
    assert.equal(old.drains.length, 1);
    assert.equal(old.drains[0]?.reason, "replace");
    assert.ok(r.lines().includes("Worker 1 replaces worker 0, which is now draining"));
    old.idle();
    assert.equal(r.adapter.live(0).length, 1);
    assert.equal(r.sup.snapshot().workers.length, 1);
  });

  it("jitter: each worker's limit is max-requests plus 0..jitter", () => {
    const c = resolveConfig("app.ts", { "max-requests": "1000", "max-requests-jitter": "50" }, {});
    assert.equal(
      requestLimit(c, () => 0),
      1000,
    );
    assert.equal(
      requestLimit(c, () => 0.9999999),
      1050,
    );
    const r = booted({ workers: "8", "max-requests": "1000", "max-requests-jitter": "50" });
    const limits = r.adapter.workers.map((w) => w.spec.maxRequests);
    for (const l of limits) assert.ok(l >= 1000 && l <= 1050, String(l));
    assert.ok(new Set(limits).size > 1, `no spread: ${limits}`);
    assert.equal(requestLimit(resolveConfig("app.ts", {}, {})), 0);
  });

  it("jitter without max-requests is refused with one line", () => {
    assert.throws(
      () => resolveConfig("app.ts", { "max-requests-jitter": "5" }, {}),
      /--max-requests-jitter .*give --max-requests/,
    );
  });

  it("max-worker-memory: a worker whose RSS passes the bound is recycled the same way", () => {
    const r = booted({ workers: "2", "max-worker-memory": "64" });
    beat(r.adapter.worker(0), 5, 64);
    assert.equal(r.adapter.workers.length, 2, "recycled at the bound, not past it");
    beat(r.adapter.worker(1), 5, 65);
    assert.ok(
      r.lines().some((l) => l.startsWith("Worker 1 (generation 0) uses 65 MiB of memory (max_worker_memory 64 MiB) — recycling")),
    );
    assert.equal(r.adapter.live(0).length, 3);
    r.adapter.worker(2).ready();
    assert.equal(r.adapter.worker(1).drains.length, 1);
    assert.equal(r.adapter.worker(0).drains.length, 0);
  });

  it("without port sharing the recycled worker drains first, then its replacement starts", () => {
    const r = booted({ workers: "1", "max-requests": "10" }, (a) => {
      a.canOverlap = false;
    });
    beat(r.adapter.worker(0), 10);
    assert.ok(r.lines().some((l) => l.includes("draining it, then starting a replacement (no port sharing)")));
    assert.equal(r.adapter.worker(0).drains.length, 1);
    assert.equal(r.adapter.workers.length, 1);
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.live(0).length, 1);
  });

  it("a worker of a generation being replaced by a reload is not recycled", () => {
    const r = booted({ workers: "1", "max-requests": "10" });
    r.adapter.signal("SIGHUP");
    beat(r.adapter.worker(0), 10);
    assert.equal(r.adapter.workers.length, 2, "only the reload's new worker should start");
  });
});
