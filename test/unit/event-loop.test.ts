/** The shared run-to-completion loop (src/supervisor/event-loop.ts): order, re-entry, the alarm, exit. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventLoop } from "../../src/supervisor/event-loop.ts";
import { FakeClock } from "./_fake.ts";

describe("event loop", () => {
  it("an event raised while one is handled waits its turn; reconcile runs after each; the alarm raises the timer", () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    let exited = false;
    let wake: number | undefined;
    const loop: EventLoop<string> = new EventLoop<string>(clock, {
      timer: "timer",
      handle: (e) => {
        seen.push(`handle ${e}`);
        if (e === "a") loop.dispatch("b");
        if (e === "timer") exited = true;
      },
      reconcile: () => {
        seen.push("reconcile");
        return wake;
      },
      exited: () => exited,
    });
    wake = clock.now() + 100;
    loop.dispatch("a");
    assert.deepEqual(seen, ["handle a", "reconcile", "handle b", "reconcile"]);
    clock.advance(99);
    assert.equal(seen.length, 4);
    clock.advance(1);
    assert.deepEqual(seen.slice(4), ["handle timer", "reconcile"]);
    loop.dispatch("c");
    assert.equal(seen.length, 6, "nothing is handled once exited");
  });
});
