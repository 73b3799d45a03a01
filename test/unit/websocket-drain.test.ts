/** The close policy for a draining worker's WebSockets, on a fake clock (src/worker/websocket-drain.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  WEBSOCKET_CLOSE_GRACE_MS,
  WEBSOCKET_CLOSE_HANDSHAKE_MS,
  type WebSocketClose,
  WebSocketDrain,
  webSocketCloseFor,
} from "../../src/worker/websocket-drain.ts";
import { FakeClock } from "./_fake.ts";

function rig() {
  const clock = new FakeClock();
  const closes: Array<WebSocketClose & { at: number }> = [];
  const start = clock.now();
  const d = new WebSocketDrain((c) => closes.push({ ...c, at: clock.now() - start }), clock);
  return { clock, closes, d };
}

/** A promise settled by hand, and a turn of the microtask queue to let its reactions run. */
function manual() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("websocket drain: the close policy", () => {
  it("codes: 1012 Service Restart for reload, replace and scale; 1001 Going Away for shutdown", () => {
    assert.deepEqual(webSocketCloseFor("reload"), { code: 1012, reason: "Service Restart" });
    assert.deepEqual(webSocketCloseFor("replace"), { code: 1012, reason: "Service Restart" });
    assert.deepEqual(webSocketCloseFor("scale"), { code: 1012, reason: "Service Restart" });
    assert.deepEqual(webSocketCloseFor("shutdown"), { code: 1001, reason: "Going Away" });
  });

  it("without an onDrain still running: closed once, at the end of the grace", async () => {
    const { clock, closes, d } = rig();
    d.start("reload", 30_000, Promise.resolve());
    await turn();
    clock.advance(WEBSOCKET_CLOSE_GRACE_MS - 1);
    assert.equal(closes.length, 0, "closed before the app's grace was over");
    clock.advance(1);
    assert.deepEqual(closes, [{ code: 1012, reason: "Service Restart", at: WEBSOCKET_CLOSE_GRACE_MS }]);
    clock.advance(60_000);
    assert.equal(closes.length, 1);
    assert.equal(clock.pending, 0);
  });

  it("onDrain first: a hook still running after the grace delays the close until it settles", async () => {
    const { clock, closes, d } = rig();
    const hook = manual();
    d.start("shutdown", 30_000, hook.promise);
    clock.advance(5_000);
    assert.equal(closes.length, 0, "closed while onDrain was still saying goodbye");
    hook.resolve();
    await turn();
    assert.deepEqual(closes, [{ code: 1001, reason: "Going Away", at: 5_000 }]);
  });

  it("a hook that never settles: closed one handshake before the drain deadline, not at it", () => {
    const { clock, closes, d } = rig();
    d.start("reload", 10_000, new Promise(() => {}));
    clock.advance(10_000 - WEBSOCKET_CLOSE_HANDSHAKE_MS - 1);
    assert.equal(closes.length, 0);
    clock.advance(1);
    assert.equal(closes.length, 1);
    assert.equal(closes[0]?.at, 10_000 - WEBSOCKET_CLOSE_HANDSHAKE_MS);
  });

  it("a drain timeout shorter than grace + handshake: closed at once, never after the deadline", async () => {
    const { clock, closes, d } = rig();
    d.start("shutdown", 500, Promise.resolve());
    await turn();
    clock.advance(0);
    assert.deepEqual(closes, [{ code: 1001, reason: "Going Away", at: 0 }]);
  });

  it("a shutdown overtaking a reload drain: the close still to come says Going Away", async () => {
    const { clock, closes, d } = rig();
    d.start("reload", 30_000, Promise.resolve());
    clock.advance(300);
    d.start("shutdown", 10_000, Promise.resolve());
    await turn();
    clock.advance(WEBSOCKET_CLOSE_GRACE_MS);
    assert.deepEqual(
      closes.map((c) => c.code),
      [1001],
    );
  });

  it("an escalation before the drain began does nothing; one after the close changes nothing", async () => {
    const { clock, closes, d } = rig();
    d.escalate("shutdown");
    d.start("reload", 30_000, Promise.resolve());
    await turn();
    clock.advance(WEBSOCKET_CLOSE_GRACE_MS);
    d.escalate("shutdown");
    assert.deepEqual(
      closes.map((c) => c.code),
      [1012],
    );
  });

  it("a socket opened after the close (upgrade on a kept-alive connection) is closed at once", async () => {
    const { clock, closes, d } = rig();
    d.opened();
    assert.equal(closes.length, 0, "a socket opened while serving must stay open");
    d.start("reload", 30_000, Promise.resolve());
    await turn();
    d.opened();
    assert.equal(closes.length, 0, "a socket opened during the grace waits for the one close");
    clock.advance(WEBSOCKET_CLOSE_GRACE_MS);
    assert.equal(d.closed, true);
    d.opened();
    assert.deepEqual(
      closes.map((c) => c.code),
      [1012, 1012],
    );
  });
});
