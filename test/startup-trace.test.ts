/**
 * POUNCE_TRACE_STARTUP=1: the supervisor and its worker print `pounce-trace <step> <ms>` for each
 * start-up step, in order, on one wall clock (what bench/tools/startup.mjs reads); without it, none.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const ORDER = [
  "s-origin",
  "s-bin",
  "s-cli-loaded",
  "s-config",
  "s-adapter",
  "s-worker_spawned",
  "w-origin",
  "w-main",
  "w-app-imported",
  "w-listening",
  "s-worker_ready",
];
const TRACE = /pounce-trace (\S+) ([\d.]+)/g;

const hello = (dir: string) => [
  writeApp(dir, "app.mjs", 'export default { fetch: () => new Response("hi") };\n'),
  "--workers",
  "1",
];

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: start-up trace`, () => {
    it("POUNCE_TRACE_STARTUP=1 prints every step once, in order, within the start", async () => {
      await withPounce(rt, hello, { env: { POUNCE_TRACE_STARTUP: "1" } }, async (p) => {
        await p.waitFor("pounce-trace s-worker_ready");
        const before = Date.now();
        const steps = new Map<string, number>();
        for (const m of p.output.matchAll(TRACE)) {
          assert.ok(!steps.has(m[1] as string), `${m[1]} printed twice`);
          steps.set(m[1] as string, Number(m[2]));
        }
        assert.deepEqual(
          [...steps.keys()].filter((k) => ORDER.includes(k)).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)),
          ORDER,
        );
        const times = ORDER.map((k) => steps.get(k) as number);
        for (let i = 1; i < times.length; i++)
          assert.ok((times[i] as number) >= (times[i - 1] as number) - 1, `${ORDER[i]} before ${ORDER[i - 1]}`);
        // One wall clock: the whole start lies within the last minute of this test's own clock.
        assert.ok((times[0] as number) > before - 60_000 && (times.at(-1) as number) <= before + 1, "not wall-clock ms");
      });
    });

    it("without it, no trace line", async () => {
      await withPounce(rt, hello, async (p) => {
        assert.doesNotMatch(p.output, /pounce-trace/);
      });
    });
  });
}
