/** pounce verify's progress line: drawn only on a terminal, cleared at the end. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Progress } from "../../src/verify/progress.ts";

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (s: string) => written.push(s) };
}

describe("verify: progress line", () => {
  it("on a terminal: one redrawn line naming the step, then cleared", () => {
    const out = stream(true);
    const p = new Progress(out, 4);
    p.step({ kind: "start" });
    p.step({ kind: "reload", number: 1 });
    p.end();
    const CLEAR = "\r\x1b[K";
    assert.equal(out.written[0], `${CLEAR}[${"-".repeat(24)}] starting · 0 sent · 0 failed`);
    assert.ok(out.written[1]?.startsWith(`${CLEAR}[${"#".repeat(6)}${"-".repeat(18)}] reload 1 `), out.written[1]);
    assert.equal(out.written.at(-1), "\r\x1b[K");
  });

  it("not on a terminal (CI, a pipe): nothing at all", () => {
    const out = stream(false);
    const p = new Progress(out, 4);
    p.step({ kind: "start" });
    p.step({ kind: "shutdown" });
    p.end();
    assert.deepEqual(out.written, []);
  });
});
