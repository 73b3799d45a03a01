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
        const at = (k: string) => steps.get(k) as number;
        // In order within each process (1 ms for rounding); across them, the worker starts after the
        // supervisor loaded its adapter (its spawn() may return after the child began), and the
        // supervisor hears "ready" after the worker listens.
        for (const prefix of ["s-", "w-"]) {
          const own = ORDER.filter((k) => k.startsWith(prefix));
          for (let i = 1; i < own.length; i++)
            assert.ok(at(own[i] as string) >= at(own[i - 1] as string) - 1, `${own[i]} before ${own[i - 1]}`);
        }
        assert.ok(at("w-origin") >= at("s-adapter") - 1, "the worker started before the supervisor loaded its adapter");
        assert.ok(at("s-worker_ready") >= at("w-listening") - 1, "ready heard before the worker listened");
        const times = ORDER.map(at);
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
