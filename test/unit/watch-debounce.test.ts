/** --reload's debounce, on a fake clock: a burst of changes is one reload. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Debounce, MAX_WAIT_MS, QUIET_MS } from "../../src/watch/debounce.ts";
import { FakeClock } from "./_fake.ts";

function rig() {
  const clock = new FakeClock();
  const fired: Array<{ paths: string[]; at: number }> = [];
  const d = new Debounce(clock, (paths) => fired.push({ paths, at: clock.now() }));
  return { clock, fired, d };
}

describe("watch: debounce", () => {
  it("a burst (writes, then a temp-then-rename) fires once, QUIET_MS after its last change, with its paths in order", () => {
    const { clock, fired, d } = rig();
    const start = clock.now();
    d.push("app.ts");
    clock.advance(20);
    d.push("app.ts");
    clock.advance(5);
    d.push("lib/x.ts");
    clock.advance(QUIET_MS - 1);
    assert.equal(fired.length, 0, "fired before the burst was quiet");
    clock.advance(1);
    assert.deepEqual(fired, [{ paths: ["app.ts", "lib/x.ts"], at: start + 25 + QUIET_MS }]);
    clock.advance(10_000);
    assert.equal(fired.length, 1);
  });

  it("two bursts apart are two reloads", () => {
    const { clock, fired, d } = rig();
    d.push("a.ts");
    clock.advance(QUIET_MS + 50);
    d.push("b.ts");
    clock.advance(QUIET_MS);
    assert.deepEqual(
      fired.map((f) => f.paths),
      [["a.ts"], ["b.ts"]],
    );
  });

  it("changes that never pause still fire after MAX_WAIT_MS", () => {
    const { clock, fired, d } = rig();
    const start = clock.now();
    for (let t = 0; t < 3 * MAX_WAIT_MS; t += QUIET_MS / 2) {
      d.push(`f${t}.ts`);
      clock.advance(QUIET_MS / 2);
    }
    assert.ok(fired.length >= 2, `only ${fired.length} reloads`);
    assert.equal(fired[0]?.at, start + MAX_WAIT_MS);
  });

  it("cancel drops a pending burst", () => {
    const { clock, fired, d } = rig();
    d.push("a.ts");
    d.cancel();
    clock.advance(MAX_WAIT_MS * 2);
    assert.equal(fired.length, 0);
    assert.equal(clock.pending, 0);
  });
});
