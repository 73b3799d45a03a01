/** pounce verify's maths: how each request is classified, the percentiles, the verdict's reasons. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { p99Where, percentile } from "../../src/verify/latency.ts";
import type { Sample } from "../../src/verify/load-generator.ts";
import { classify, type ReloadMark, type RunMarks, verdict } from "../../src/verify/verdict.ts";

const T0 = 1_000_000;

function sample(over: Partial<Sample>): Sample {
  return {
    sched: T0,
    sent: over.sched ?? T0,
    done: T0 + 5,
    fresh: false,
    connStart: T0,
    connected: true,
    req: 0,
    status: 200,
    error: null,
    deploy: 1,
    ...over,
  };
}

function reload(over: Partial<ReloadMark>): ReloadMark {
  return {
    number: 1,
    deploy: 2,
    signalAt: T0 + 1000,
    outcome: "complete",
    cutoverAt: T0 + 1200,
    cutoverMs: 200,
    durationMs: 500,
    error: null,
    ...over,
  };
}

function marks(over: Partial<RunMarks> = {}): RunMarks {
  return {
    startAt: T0,
    reloads: [reload({})],
    bad: { signalAt: T0 + 3000, outcome: "refused", error: "failed to import" },
    shutdown: { signalAt: T0 + 5000, exitAt: T0 + 5100, exitCode: 0, exitSignal: null, inFlightAtSignal: 1 },
    forceStopped: 0,
    ...over,
  };
}

describe("verify: classify", () => {
  it("names socket errors by kind: refused, timeout, and every other error a reset", () => {
    assert.equal(classify(sample({ status: null, error: "ECONNREFUSED" }), []), "refused");
    assert.equal(classify(sample({ status: null, error: "timeout" }), []), "timeout");
    for (const e of ["ECONNRESET", "EPIPE", "eof", "closed"])
      assert.equal(classify(sample({ status: null, error: e }), []), "reset");
  });

  it("a request never sent (still waiting for a connection at SIGTERM) is not lost; a 5xx is, a 4xx is not", () => {
    assert.equal(classify(sample({ status: null, error: "unsent", sent: null }), []), null);
    assert.equal(classify(sample({ status: 503 }), []), "5xx");
    assert.equal(classify(sample({ status: 404 }), []), null);
  });

  it("wrong version: older code on a connection opened after the cut-over was reported — not on one opened before", () => {
    const r = [reload({})]; // deploy 2, cut-over at T0 + 1200
    assert.equal(classify(sample({ deploy: 1, connStart: T0 + 1300, fresh: true }), r), "wrong-version");
    assert.equal(classify(sample({ deploy: 1, connStart: T0 + 1100 }), r), null, "kept-alive since before: may drain on the old");
    assert.equal(classify(sample({ deploy: 2, connStart: T0 + 1300 }), r), null);
    // A reload that never cut over expects nothing new.
    assert.equal(classify(sample({ deploy: 1, connStart: T0 + 1300 }), [reload({ cutoverAt: null, outcome: "failed" })]), null);
  });

  it("a fresh connection refused after SIGTERM is not lost; one accepted and then reset is", () => {
    const stop = T0 + 5000;
    const opening = { fresh: true, connected: false, status: null, sched: stop - 2, done: stop + 3 };
    assert.equal(classify(sample({ ...opening, error: "ECONNREFUSED" }), [], stop), null);
    assert.equal(classify(sample({ ...opening, error: "ECONNREFUSED", done: stop - 1 }), [], stop), "refused", "before the stop");
    assert.equal(classify(sample({ ...opening, error: "ECONNRESET" }), [], stop), "reset");
    assert.equal(classify(sample({ ...opening, connected: true, error: "ECONNREFUSED" }), [], stop), "refused");
    const v = verdict([sample({ ...opening, error: "ECONNREFUSED" })], marks());
    assert.deepEqual(
      { ok: v.ok, failed: v.failed, refusedAfterStop: v.refusedAfterStop },
      { ok: true, failed: 0, refusedAfterStop: 1 },
    );
  });
});

describe("verify: latency", () => {
  it("nearest-rank percentile", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    assert.equal(percentile(xs, 0.99), 99);
    assert.equal(percentile(xs, 0.5), 50);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([], 0.99), null);
  });

  it("latency runs from the scheduled time (a request queued 90 ms counts 90 ms), windows by scheduled time", () => {
    const s = [sample({ sched: T0, sent: T0 + 90, done: T0 + 100 }), sample({ sched: T0 + 2000, done: T0 + 2003 })];
    assert.equal(p99Where(s, [{ from: T0, to: T0 + 1000 }]), 100);
    assert.equal(p99Where(s, [{ from: T0, to: T0 + 3000 }], [{ from: T0, to: T0 + 1000 }]), 3);
    assert.equal(
      p99Where([sample({ status: null, error: "eof" })], [{ from: T0, to: T0 + 1 }]),
      null,
      "lost ones have no latency",
    );
  });
});

describe("verify: verdict", () => {
  it("a clean run passes, with steady p99 outside the second after each signal and the reload's figures", () => {
    const samples = [
      sample({ sched: T0 + 600, done: T0 + 602 }),
      sample({ sched: T0 + 1100, done: T0 + 1150 }), // in the second after the reload
      sample({ sched: T0 + 1300, done: T0 + 1310, deploy: 2, connStart: T0 + 1300 }),
      sample({ sched: T0 + 4500, done: T0 + 4504, deploy: 2 }),
    ];
    const v = verdict(samples, marks());
    assert.equal(v.ok, true, v.problems.join("; "));
    assert.equal(v.failed, 0);
    assert.equal(v.sent, 4);
    assert.equal(v.p99Steady, 4);
    assert.equal(v.reloads[0]?.p99, 50);
    assert.equal(v.reloads[0]?.cutoverMs, 200);
    assert.equal(v.reloads[0]?.drainMs, 300);
    assert.equal(v.reloads[0]?.firstNewMs, 310);
    assert.equal(v.shutdown?.stopMs, 100);
    assert.equal(v.clientWaitP99, 0, "every kept-alive request went out on schedule");
  });

  it("any lost request fails the run, counted by kind and by the step it failed in", () => {
    const samples = [
      sample({ sched: T0 + 1100, done: T0 + 1400, status: null, error: "ECONNRESET" }),
      sample({ sched: T0 + 4990, done: T0 + 5050, status: null, error: "eof" }),
      sample({ sched: T0 + 600, done: T0 + 700, status: 502 }),
      sample({ sched: T0 + 4995, sent: null, status: null, error: "unsent" }),
    ];
    const v = verdict(samples, marks());
    assert.equal(v.ok, false);
    assert.equal(v.failed, 3);
    assert.deepEqual({ reset: v.failures.reset, fivexx: v.failures["5xx"] }, { reset: 2, fivexx: 1 });
    assert.equal(v.unsent, 1);
    assert.equal(v.sent, 3);
    assert.deepEqual(v.lostDetail, { "kept-alive ECONNRESET": 1, "kept-alive eof": 1, "kept-alive 502": 1 });
    assert.deepEqual(v.lostByStep, [
      { step: "steady", lost: 1 },
      { step: "reload 1", lost: 1 },
      { step: "shutdown", lost: 1 },
    ]);
    assert.match(v.problems[0] ?? "", /^3 request\(s\) lost: 2 reset, 1 5xx$/);
    const waited = verdict([sample({ sched: T0, sent: T0 + 40 }), sample({ sched: T0, sent: T0 + 9, fresh: true })], marks());
    assert.equal(waited.clientWaitP99, 40, "kept-alive waits only (a fresh connection's write waits for its connect)");
  });

  it("fails when a reload failed, the bad deploy was accepted, a worker was force-stopped, or pounce exited non-zero", () => {
    const v = verdict(
      [],
      marks({
        reloads: [reload({ outcome: "failed", error: "boom", cutoverAt: null })],
        bad: { signalAt: T0 + 3000, outcome: "accepted", error: null },
        forceStopped: 2,
        shutdown: { signalAt: T0 + 5000, exitAt: T0 + 5100, exitCode: 1, exitSignal: null, inFlightAtSignal: 0 },
      }),
    );
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems, [
      "reload 1 failed: boom",
      "the bad deploy (throws at import) was accepted",
      "2 worker(s) force-stopped (did not drain in time)",
      "pounce exited with code 1 after SIGTERM",
    ]);
  });
});
