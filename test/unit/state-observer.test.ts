/** The state file observer against the real supervisor (fake adapter, fake clock): what it writes. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ServerState } from "../../src/control/state.ts";
import { stateFileObserver } from "../../src/control/state-observer.ts";
import { type Rig, rig } from "./_fake.ts";

function withState(flags: Record<string, string> = {}): { r: Rig; read(): Promise<ServerState> } {
  const r = rig(flags);
  const path = join(mkdtempSync(join(tmpdir(), "pounce-state-")), "pounce.pid.state.json");
  r.sup.observe(
    stateFileObserver({
      path,
      pid: process.pid,
      entry: "app.ts",
      supervisor: r.sup,
      note: (n) => r.sup.note(n),
      now: () => r.clock.now(),
    }),
  );
  r.sup.start();
  r.readyAll(0);
  // Writes happen once the event has been handled (a microtask later).
  const read = async () => {
    await Promise.resolve();
    return JSON.parse(readFileSync(path, "utf8")) as ServerState;
  };
  return { r, read };
}

describe("state file observer", () => {
  it("records a reload: in progress, cut-over, complete, with durations from the reload's start", async () => {
    const { r, read } = withState({ "reload-stagger": "0" });
    let s = await read();
    assert.equal(s.phase, "running");
    assert.equal(s.generation, 0);
    assert.deepEqual(
      s.workers.map((w) => [w.id, w.pid, w.state, w.in_flight]),
      [
        [0, 1000, "ready", 0],
        [1, 1001, "ready", 0],
      ],
    );
    r.adapter.signal("SIGHUP");
    s = await read();
    assert.equal(s.reloads_requested, 1);
    assert.equal(s.last_reload?.outcome, "in-progress");
    assert.equal(s.last_reload?.covers, 1);
    assert.equal(s.last_reload?.generation, 1);
    r.clock.advance(300);
    r.readyAll(1);
    for (const w of r.adapter.live(0)) w.events.message({ type: "listener-closed" });
    s = await read();
    assert.equal(s.generation, 1);
    assert.equal(s.last_reload?.outcome, "cut-over");
    assert.equal(s.last_reload?.cutover_ms, 300);
    assert.ok(s.workers.some((w) => w.generation === 0 && w.state === "draining"));
    r.clock.advance(200);
    for (const w of r.adapter.live(0)) w.idle();
    s = await read();
    assert.equal(s.last_reload?.outcome, "complete");
    assert.equal(s.last_reload?.duration_ms, 500);
    assert.deepEqual(
      s.workers.map((w) => w.generation),
      [1, 1],
    );
  });

  it("a request heard while a reload is starting is covered by the next reload, not that one", async () => {
    const { r, read } = withState({ "reload-stagger": "0" });
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGHUP"); // during the rollout: queued
    let s = await read();
    assert.equal(s.reloads_requested, 2);
    assert.equal(s.last_reload?.covers, 1);
    r.readyAll(1);
    for (const w of r.adapter.live(0)) w.idle();
    s = await read();
    assert.equal(s.last_reload?.number, 1);
    assert.equal(s.last_reload?.outcome, "complete");
    r.clock.advance(1_000); // the cooldown
    s = await read();
    assert.equal(s.last_reload?.number, 2);
    assert.equal(s.last_reload?.covers, 2);
    assert.equal(s.last_reload?.outcome, "in-progress");
  });

  it("records a failed reload with its cause, and exit with its code", async () => {
    const { r, read } = withState();
    r.adapter.signal("SIGHUP");
    r.adapter.live(1)[0]?.fail("failed to import app.ts: SyntaxError: nope");
    let s = await read();
    assert.equal(s.last_reload?.outcome, "failed");
    assert.equal(s.last_reload?.error, "failed to import app.ts: SyntaxError: nope");
    assert.equal(s.generation, 0);
    r.adapter.signal("SIGTERM");
    for (const w of r.adapter.live()) w.idle();
    s = await read();
    assert.equal(s.phase, "exited");
    assert.equal(s.exit_code, 0);
    assert.deepEqual(s.workers, []);
  });

  it("writes in-flight counts the workers report, at most once a second", async () => {
    const { r, read } = withState();
    await read(); // the boot's write is done
    r.adapter.worker(1).events.message({ type: "in-flight", requests: 3 });
    assert.equal((await read()).workers.find((w) => w.id === 1)?.in_flight, 0, "a load change alone was written at once");
    const t0 = Date.now();
    let seen: number | null | undefined;
    while (Date.now() - t0 < 3_000) {
      seen = (await read()).workers.find((w) => w.id === 1)?.in_flight;
      if (seen === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(seen, 3);
    assert.ok(Date.now() - t0 >= 900, "written sooner than once a second");
  });
});

describe("state file observer: ordering against the log", () => {
  it("the file says running by the time the log emits 'Ready to accept connections' (observeFirst, written at once)", () => {
    const r = rig();
    const path = join(mkdtempSync(join(tmpdir(), "pounce-state-")), "pounce.pid.state.json");
    r.sup.observeFirst(
      stateFileObserver({ path, pid: process.pid, entry: "app.ts", supervisor: r.sup, note: (n) => r.sup.note(n) }),
    );
    let phaseAtReadyLine: string | undefined;
    const push = r.records.push.bind(r.records);
    r.records.push = (...recs) => {
      for (const rec of recs)
        if (rec.msg.startsWith("Ready to accept connections"))
          phaseAtReadyLine = (JSON.parse(readFileSync(path, "utf8")) as ServerState).phase;
      return push(...recs);
    };
    r.sup.start();
    r.readyAll(0);
    assert.equal(phaseAtReadyLine, "running");
  });
});
