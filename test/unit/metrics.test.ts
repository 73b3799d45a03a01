/** Metrics aggregation in the supervisor (fake adapter, fake clock), the worker's counters, the exposition. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyCounters, RequestCounters, type WorkerCounters } from "../../src/metrics/counters.ts";
import { Metrics } from "../_prometheus.ts";
import { booted, type FakeWorker, type Rig } from "./_fake.ts";

function counters(ok: number, errors = 0, extra: Partial<WorkerCounters> = {}): WorkerCounters {
  const c = emptyCounters();
  c.requests[1] = ok;
  c.requests[4] = errors;
  c.durationBuckets[0] = ok + errors;
  c.durationSum = (ok + errors) * 0.001;
  return { ...c, ...extra };
}

/** Ask the supervisor for the aggregate as worker `w` would on a /metrics request. */
function scrape(w: FakeWorker, own: WorkerCounters): Metrics {
  const id = w.sent.length + 1000;
  w.events.message({ type: "metrics-request", id, counters: own });
  const answer = w.sent.find((m) => m.type === "metrics" && m.id === id);
  assert.ok(answer && answer.type === "metrics", "the supervisor did not answer the metrics request");
  return new Metrics(answer.text);
}

function reloadTo(r: Rig, gen: number, finals: Map<number, WorkerCounters>): void {
  r.adapter.signal("SIGHUP");
  r.readyAll(gen);
  for (const w of r.adapter.live(gen - 1)) {
    const last = finals.get(w.id);
    if (last) w.events.message({ type: "counters", counters: last });
    w.idle();
  }
  r.clock.advance(2_000);
}

describe("metrics: aggregation across workers and generations", () => {
  it("sums the workers' reports, and a retired worker's last report stays in the totals", () => {
    const r = booted({ workers: "2", "metrics-path": "/metrics" });
    const [w0, w1] = r.adapter.live(0) as [FakeWorker, FakeWorker];
    w0.events.message({ type: "counters", counters: counters(5) });
    w0.events.message({ type: "counters", counters: counters(7, 1) }); // replaces, does not add
    let m = scrape(w1, counters(3));
    assert.equal(m.value("pounce_http_requests_total", { code: "2xx" }), 10);
    assert.equal(m.value("pounce_http_requests_total", { code: "5xx" }), 1);
    assert.equal(m.histogram("pounce_http_request_duration_seconds").count, 11);
    assert.equal(m.value("pounce_generation"), 0);
    assert.equal(m.value("pounce_workers", { state: "ready" }), 2);

    reloadTo(
      r,
      1,
      new Map([
        [w0.id, counters(8, 1)],
        [w1.id, counters(4)],
      ]),
    );
    const [n0] = r.adapter.live(1) as [FakeWorker];
    m = scrape(n0, counters(2));
    assert.equal(m.value("pounce_http_requests_total", { code: "2xx" }), 8 + 4 + 2, "retired workers' counts were lost");
    assert.equal(m.value("pounce_http_requests_total", { code: "5xx" }), 1);
    assert.equal(m.value("pounce_generation"), 1);
    assert.equal(m.value("pounce_reloads_total", { outcome: "complete" }), 1);
  });

  it("gauges count live workers only", () => {
    const r = booted({ workers: "2", "metrics-path": "/metrics" });
    const [w0, w1] = r.adapter.live(0) as [FakeWorker, FakeWorker];
    w0.events.message({ type: "counters", counters: counters(1, 0, { inFlight: 3, connections: 4, rss: 1000 }) });
    let m = scrape(w1, counters(0, 0, { inFlight: 1, connections: 2, rss: 500 }));
    assert.equal(m.value("pounce_http_requests_in_flight"), 4);
    assert.equal(m.value("pounce_open_connections"), 6);
    assert.equal(m.value("pounce_open_websockets"), 0);
    assert.equal(m.value("pounce_resident_memory_bytes", { process: "workers" }), 1500);
    assert.ok(m.value("pounce_resident_memory_bytes", { process: "supervisor" }) > 0);
    w0.exit(1); // crashed: its gauges go, its counts stay
    m = scrape(w1, counters(0, 0, { inFlight: 1, connections: 2, rss: 500 }));
    assert.equal(m.value("pounce_http_requests_in_flight"), 1);
    assert.equal(m.value("pounce_http_requests_total", { code: "2xx" }), 1);
    assert.equal(m.value("pounce_worker_restarts_total", { cause: "crash" }), 1);
    assert.equal(m.value("pounce_workers", { state: "starting" }), 1, "the replacement is starting");
  });

  it("reloads by outcome, the last reload's duration and its time to new code (fake clock)", () => {
    const r = booted({ workers: "1", "metrics-path": "/metrics", "reload-stagger": "0" });
    r.adapter.signal("SIGHUP");
    r.clock.advance(400);
    r.readyAll(1);
    r.clock.advance(100);
    (r.adapter.live(0)[0] as FakeWorker).idle();
    const w = r.adapter.live(1)[0] as FakeWorker;
    let m = scrape(w, counters(0));
    assert.equal(m.value("pounce_reloads_total", { outcome: "complete" }), 1);
    assert.equal(m.value("pounce_reloads_total", { outcome: "failed" }), 0);
    assert.equal(m.value("pounce_last_reload_duration_seconds"), 0.5);
    assert.ok(m.value("pounce_last_reload_time_to_new_code_seconds") >= 0.4);
    assert.ok(m.value("pounce_last_reload_time_to_new_code_seconds") <= 0.5);

    r.clock.advance(2_000); // past the cooldown
    r.adapter.signal("SIGHUP");
    (r.adapter.live(2)[0] as FakeWorker).fail("SyntaxError: nope");
    m = scrape(w, counters(0));
    assert.equal(m.value("pounce_reloads_total", { outcome: "failed" }), 1);
    assert.equal(m.value("pounce_reloads_total", { outcome: "complete" }), 1);
    assert.equal(m.value("pounce_generation"), 1);
  });

  it("counts force-stopped drains", () => {
    const r = booted({ workers: "1", "metrics-path": "/metrics", "reload-timeout": "1" });
    r.adapter.signal("SIGHUP");
    r.readyAll(1);
    r.clock.advance(1_500); // the old worker never goes idle
    const m = scrape(r.adapter.live(1)[0] as FakeWorker, counters(0));
    assert.equal(m.value("pounce_drains_force_stopped_total"), 1);
  });
});

describe("metrics: a worker's request counters", () => {
  it("counts by status class and puts each duration in its bucket", () => {
    const c = new RequestCounters();
    c.observe(200, 1); // 0.001 s → le 0.005
    c.observe(204, 30); // 0.03 s → le 0.05
    c.observe(404, 20_000); // past 10 s → +Inf
    c.observe(503, 5);
    c.observe(0, 1); // nonsense status: counted as 5xx
    const report = c.report({ inFlight: 2, connections: 1, websockets: 3, rss: 9 });
    assert.deepEqual(report.requests, [0, 2, 0, 1, 2]);
    assert.equal(report.durationBuckets[0], 3);
    assert.equal(report.durationBuckets[3], 1);
    assert.equal(report.durationBuckets.at(-1), 1);
    assert.ok(Math.abs(report.durationSum - 20.037) < 1e-9);
  });

  it("the exposition's buckets are cumulative and end with +Inf = count", () => {
    const r = booted({ workers: "1", "metrics-path": "/metrics" });
    const c = new RequestCounters();
    for (const ms of [1, 2, 30, 300, 20_000]) c.observe(200, ms);
    const h = scrape(
      r.adapter.live(0)[0] as FakeWorker,
      c.report({ inFlight: 0, connections: 0, websockets: 0, rss: 0 }),
    ).histogram("pounce_http_request_duration_seconds");
    assert.equal(h.buckets["0.005"], 2);
    assert.equal(h.buckets["0.05"], 3);
    assert.equal(h.buckets["0.5"], 4);
    assert.equal(h.buckets["10"], 4);
    assert.equal(h.buckets["+Inf"], 5);
    assert.equal(h.count, 5);
  });
});
