/** When a reusePort worker (Bun, Deno) calls its runtime's stop during a drain, on mocked timers
 *  (runtimes/_shared/reuse-port-drain.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReusePortDrain, type ReusePortServer } from "../../runtimes/_shared/reuse-port-drain.ts";

const ORDER = { reason: "reload" as const, acceptGraceMs: 1_000, lastListener: false, idleGraceMs: 1_000 };

function rig(waitForRequests: boolean) {
  const state = { held: 1, inFlight: 2, stops: [] as number[] };
  const start = Date.now();
  const server: ReusePortServer = {
    closeListenerAlone: () => true,
    stop: async () => void state.stops.push(Date.now() - start),
    held: () => state.held,
    ...(waitForRequests ? { requestsInFlight: () => state.inFlight } : {}),
  };
  const d = new ReusePortDrain(server);
  d.drain(ORDER);
  d.closeIdle();
  return { state, d };
}

describe("reusePort drain: when the runtime's stop runs", () => {
  it("without requestsInFlight (Bun): at the end of the idle grace, requests in flight or not", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    const { state } = rig(false);
    t.mock.timers.tick(999);
    assert.deepEqual(state.stops, []);
    t.mock.timers.tick(1);
    assert.deepEqual(state.stops, [1_000]);
  });

  it("with requestsInFlight (Deno): past the grace, only once no request is in flight, the moment the last ends", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    const { state, d } = rig(true);
    t.mock.timers.tick(1_500);
    assert.deepEqual(state.stops, [], "requests still in flight: no stop");
    state.inFlight = 1;
    d.requestFinished();
    assert.deepEqual(state.stops, []);
    state.inFlight = 0;
    t.mock.timers.tick(10);
    d.requestFinished();
    assert.deepEqual(state.stops, [1_510], "stopped as the last request ended, not at the next poll");
  });

  it("with requestsInFlight: a request ending inside the grace does not stop early; no connection left does", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    const { state, d } = rig(true);
    state.inFlight = 0;
    t.mock.timers.tick(300);
    d.requestFinished();
    assert.deepEqual(state.stops, [], "inside the idle grace a kept-alive socket may be reused: wait");
    state.held = 0;
    t.mock.timers.tick(50);
    assert.deepEqual(state.stops, [350]);
  });
});

describe("reusePort drain: closing the listener", () => {
  it("says whether another listener takes the port (the order's lastListener), not guessed from the reason", () => {
    for (const order of [
      { ...ORDER, lastListener: true },
      { ...ORDER, reason: "shutdown" as const, acceptGraceMs: 0, lastListener: false },
    ]) {
      const asked: boolean[] = [];
      const d = new ReusePortDrain({ closeListenerAlone: (last) => asked.push(last) > 0, stop: async () => {}, held: () => 0 });
      d.drain(order);
      assert.deepEqual(asked, [order.lastListener]);
    }
  });
});
