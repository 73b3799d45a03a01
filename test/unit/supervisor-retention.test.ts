/**
 * Issue 15: nothing of a finished generation stays reachable from the supervisor. After many fake
 * reloads (with heartbeats, counters, in-flight reports, a failed reload and a crash among them),
 * every exited worker's record, every retired generation and every counters report a retired
 * worker sent must be collectable: a map keyed by worker id or generation that is never pruned, a
 * listener or closure kept per worker, or a history of notes would keep them alive.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { emptyCounters } from "../../src/metrics/counters.ts";
import type { Generation, WorkerRecord } from "../../src/supervisor/state.ts";
import { booted, type Rig } from "./_fake.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** The fake adapter forgets exited workers, as a real one does once their exit has been reported. */
function forgetExited(r: Rig): void {
  const live = r.adapter.workers.filter((w) => !w.exited);
  r.adapter.workers.splice(0, r.adapter.workers.length, ...live);
}

/** Weak references to the supervisor's records of generation `n`'s workers, and the generation. */
function watch(r: Rig, n: number, refs: Array<WeakRef<object>>): void {
  for (const gen of r.sup.state.generations as Set<Generation>) {
    if (gen.n !== n) continue;
    refs.push(new WeakRef(gen));
    for (const w of gen.workers as Set<WorkerRecord>) refs.push(new WeakRef(w));
  }
}

/** Let pending finalisation-free garbage go: a full collection after the current turn. */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

/**
 * Boot, then 60 reloads; weak references to what each generation had. A function of its own: a
 * suspended async test would keep its loop's last locals (a fake worker, a report) in its frame.
 */
function reloadMany(): { r: Rig; refs: Array<WeakRef<object>> } {
  const r = booted({ workers: "2", "reload-stagger": "0", "metrics-path": "/metrics", "worker-timeout": "30" });
  const refs: Array<WeakRef<object>> = [];
  let gen = 0;
  watch(r, 0, refs);
  for (let i = 1; i <= 60; i++) {
    const next = r.sup.state.nextGeneration;
    r.adapter.signal("SIGHUP");
    if (i === 20) {
      // A failed reload: one new worker fails to import, the other is killed; gen keeps serving.
      const [a, b] = r.adapter.live(next);
      watch(r, next, refs);
      a?.ready();
      b?.fail("failed to import app.ts: boom");
      r.clock.advance(1_000);
      forgetExited(r);
      continue;
    }
    watch(r, next, refs);
    r.readyAll(next);
    for (const w of r.adapter.live(gen)) {
      const report = { ...emptyCounters(), requests: [0, 10, 0, 0, 0] };
      refs.push(new WeakRef(report));
      w.events.message({ type: "heartbeat", rss: 40_000_000, served: 10 });
      w.events.message({ type: "in-flight", requests: 1 });
      w.events.message({ type: "counters", counters: report });
      w.idle();
    }
    if (i === 40) {
      // A crash in the serving generation: replaced, and the dead one is forgotten too.
      r.adapter.live(next)[0]?.exit(1);
      r.clock.advance(1_000);
      r.readyAll(next);
    }
    gen = next;
    r.clock.advance(2_000);
    forgetExited(r);
  }
  return { r, refs };
}

describe("supervisor: nothing of a finished generation is kept", () => {
  it("after 60 reloads (one failed, one crash), retired records, generations and reports are collectable", async () => {
    const { r, refs } = reloadMany();
    assert.ok(r.events().includes("reload_failed"), "the failed reload did not fail");
    assert.equal(r.events().filter((e) => e === "reload_complete").length, 59);
    assert.equal(r.sup.state.generations.size, 1, "generations kept besides the serving one");
    await collect();
    // The serving generation (61: one number went to the failed reload) and its two workers (one a
    // replacement after the crash) are live; everything older must be gone.
    const live = new Set<object>([...r.sup.state.generations].flatMap((g) => [g, ...g.workers]));
    const kept = refs.map((ref) => ref.deref()).filter((o): o is object => o !== undefined && !live.has(o));
    const label = (o: object) =>
      "purpose" in o
        ? `generation ${(o as Generation).n}`
        : "generation" in o
          ? `worker ${(o as WorkerRecord).id}`
          : "a counters report";
    assert.equal(kept.length, 0, `still reachable: ${kept.slice(0, 5).map(label).join(", ")}${kept.length > 5 ? ", …" : ""}`);
  });
});
