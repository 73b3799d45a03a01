/** Drain accounting (src/worker/in-flight.ts): open WebSockets hold the drain like requests do. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlight } from "../../src/worker/in-flight.ts";

const settledWithin = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
};

describe("in-flight: requests, sockets, background", () => {
  it("an open socket counts as active and holds idle() until it closes", async () => {
    const f = new InFlight();
    f.socketOpened();
    f.started();
    assert.equal(f.active, 2);
    const idle = f.idle();
    f.finished();
    assert.equal(await settledWithin(idle), false, "idle while a socket was open");
    assert.equal(f.active, 1);
    f.socketClosed();
    assert.equal(await settledWithin(idle), true);
    assert.equal(f.total, 0);
  });

  it("waitUntil work is in total, not in active (health and drain lines count what clients hold)", async () => {
    const f = new InFlight();
    let finish = () => {};
    f.track(
      new Promise<void>((r) => {
        finish = r;
      }),
    );
    assert.equal(f.active, 0);
    assert.equal(f.total, 1);
    const idle = f.idle();
    f.socketOpened();
    finish();
    assert.equal(await settledWithin(idle), false, "idle while a socket was open");
    f.socketClosed();
    assert.equal(await settledWithin(idle), true);
  });
});
