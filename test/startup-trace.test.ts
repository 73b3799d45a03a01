/**
 * POUNCE_TRACE_STARTUP=1: the supervisor and its worker print `pounce-trace <step> <ms>` for each
 * start-up step, in order, on one wall clock (what bench/tools/startup.mjs reads), and a reload's
 * steps after a SIGHUP (what bench/tools/reload-trace.mjs reads); without it, none.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

// The worker is started before the configuration is read (src/cli/prespawn.ts): it waits, warm,
// and assumes worker 0 once boot takes it. With POUNCE_PRESPAWN=0, boot spawns it (COLD).
const ORDER = [
  "s-origin",
  "s-bin",
  "s-prespawned",
  "s-cli-loaded",
  "s-config",
  "s-adapter",
  "s-worker_spawned",
  "w-origin",
  "w-main",
  "w-warm",
  "w-assumed",
  "w-app-imported",
  "w-listening",
  "s-worker_ready",
];
const COLD = ORDER.filter((k) => !["s-prespawned", "w-warm", "w-assumed"].includes(k));
const TRACE = /pounce-trace (\S+) ([\d.]+)/g;

const hello = (dir: string) => [
  writeApp(dir, "app.mjs", 'export default { fetch: () => new Response("hi") };\n'),
  "--workers",
  "1",
];

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: start-up trace`, () => {
    for (const [label, env, order] of [
      ["", {}, ORDER],
      [" (POUNCE_PRESPAWN=0: boot spawns the worker)", { POUNCE_PRESPAWN: "0" }, COLD],
    ] as const)
      it(`POUNCE_TRACE_STARTUP=1 prints every step once, in order, within the start${label}`, async () => {
        await withPounce(rt, hello, { env: { POUNCE_TRACE_STARTUP: "1", ...env } }, async (p) => {
          await p.waitFor("pounce-trace s-worker_ready");
          const before = Date.now();
          const steps = new Map<string, number>();
          for (const m of p.output.matchAll(TRACE)) {
            assert.ok(!steps.has(m[1] as string), `${m[1]} printed twice`);
            steps.set(m[1] as string, Number(m[2]));
          }
          assert.deepEqual(
            [...steps.keys()].filter((k) => ORDER.includes(k)).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)),
            order,
          );
          const at = (k: string) => steps.get(k) as number;
          // In order within each process (1 ms for rounding); across them, the worker starts after the
          // supervisor loaded its adapter (its spawn() may return after the child began), and the
          // supervisor hears "ready" after the worker listens.
          for (const prefix of ["s-", "w-"]) {
            const own = order.filter((k) => k.startsWith(prefix));
            for (let i = 1; i < own.length; i++)
              assert.ok(at(own[i] as string) >= at(own[i - 1] as string) - 1, `${own[i]} before ${own[i - 1]}`);
          }
          if (order === COLD)
            assert.ok(at("w-origin") >= at("s-adapter") - 1, "the worker started before the supervisor loaded its adapter");
          // Prespawned: it became worker 0 only once boot took it.
          else {
            assert.ok(at("w-assumed") >= at("s-worker_spawned") - 1, "the prespawned worker assumed before boot took it");
          }
          assert.ok(at("s-worker_ready") >= at("w-listening") - 1, "ready heard before the worker listened");
          const times = order.map(at);
          // One wall clock: the whole start lies within the last minute of this test's own clock.
          assert.ok((times[0] as number) > before - 60_000 && (times.at(-1) as number) <= before + 1, "not wall-clock ms");
        });
      });

    it("a SIGHUP prints the reload's steps in order: signal, spawn, the new worker's start, cut-over", async () => {
      await withPounce(rt, hello, { env: { POUNCE_TRACE_STARTUP: "1" } }, async (p) => {
        await p.waitFor("pounce-trace s-ready");
        const from = p.output.length;
        p.signal("SIGHUP");
        // The trace observer hears each note after the log line: wait for its own last line.
        await p.waitFor("pounce-trace s-reload_complete", { from });
        const steps = [...p.output.slice(from).matchAll(TRACE)].map((m) => [m[1] as string, Number(m[2])] as const);
        const names = steps.map(([k]) => k);
        const RELOAD = [
          "s-reload_requested",
          "s-reload_started",
          "s-worker_spawned",
          "w-main",
          "w-listening",
          "s-worker_ready",
          "s-reimported",
          "s-worker_draining",
          "s-cutover_complete",
          "s-reload_complete",
        ];
        for (const k of RELOAD) assert.equal(names.filter((n) => n === k).length, 1, `${k} printed once: ${names.join(", ")}`);
        const at = (k: string) => steps.find(([n]) => n === k)?.[1] as number;
        for (let i = 1; i < RELOAD.length; i++)
          assert.ok(at(RELOAD[i] as string) >= at(RELOAD[i - 1] as string) - 1, `${RELOAD[i]} before ${RELOAD[i - 1]}`);
      });
    });

    it("without it, no trace line", async () => {
      await withPounce(rt, hello, async (p) => {
        assert.doesNotMatch(p.output, /pounce-trace/);
      });
    });
  });
}
