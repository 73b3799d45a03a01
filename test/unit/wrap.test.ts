/**
 * `pounce wrap`'s policy with fake copies and a fake clock: coalescing reloads, the startup and stop
 * deadlines, restart back-off, --no-restart, the forced stop. The black-box cases are test/wrap.test.ts.
 */
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { Logger, type LogRecord } from "../../src/log.ts";
import { logObserver } from "../../src/supervisor/log-lines.ts";
import type { CopyEvents, CopySpec, RunningCopy } from "../../src/wrap/copy.ts";
import { openNotifySocket } from "../../src/wrap/notify.ts";
import { parseListen, parseWrapArgs } from "../../src/wrap/options.ts";
import type { ReadyVia } from "../../src/wrap/readiness.ts";
import { Wrapper } from "../../src/wrap/wrapper.ts";
import { FakeAdapter, FakeClock } from "./_fake.ts";

class FakeCopy implements RunningCopy {
  readonly signals: string[] = [];
  groupKilled = false;
  exited = false;
  readonly pid: number;
  readonly spec: CopySpec;
  readonly events: CopyEvents;
  onReady?: (via: ReadyVia) => void;
  constructor(pid: number, spec: CopySpec, events: CopyEvents) {
    this.pid = pid;
    this.spec = spec;
    this.events = events;
  }
  signal(sig: NodeJS.Signals): void {
    this.signals.push(sig);
  }
  killGroup(): void {
    this.groupKilled = true;
    this.exit(null, "SIGKILL");
  }
  tail(): string[] {
    return ["booting", "error: bad config"];
  }
  ready(): this {
    this.onReady?.({ kind: "file", path: "/r" });
    return this;
  }
  exit(code: number | null = 0, signal: string | null = null): this {
    if (this.exited) return this;
    this.exited = true;
    this.events.exit(code, signal);
    return this;
  }
}

function rig(args: string[] = []) {
  const clock = new FakeClock();
  const adapter = new FakeAdapter();
  const records: LogRecord[] = [];
  const log = new Logger({ level: "debug", emit: (r) => records.push(r) });
  const copies: FakeCopy[] = [];
  const config = parseWrapArgs(["--ready-file", "/r", ...args, "--", "server"], {}, tmpdir());
  const w = new Wrapper({
    config,
    adapter,
    log,
    cwd: tmpdir(),
    env: {},
    clock,
    guard: { add() {}, remove() {} },
    startCopy: (spec, events) => {
      const c = new FakeCopy(500 + copies.length, spec, events);
      copies.push(c);
      return c;
    },
    watchReady: (_signal, _at, onReady) => {
      const c = copies.at(-1) as FakeCopy;
      c.onReady = onReady;
      return () => {
        c.onReady = undefined;
      };
    },
  });
  w.observe(logObserver(log));
  w.start();
  const events = () => records.map((r) => r.event);
  const count = (event: string) => events().filter((e) => e === event).length;
  return { w, clock, adapter, copies, records, events, count };
}

describe("pounce wrap policy", () => {
  it("boot: ready at the copy's signal; a reload starts a copy beside it and SIGTERMs the old one once the new one is ready", () => {
    const r = rig();
    assert.equal(r.copies.length, 1);
    r.copies[0]?.ready();
    assert.equal(r.count("wrap_ready"), 1);
    r.adapter.signal("SIGHUP");
    assert.equal(r.copies.length, 2);
    assert.deepEqual(r.copies[0]?.signals, [], "the old copy serves until the new one is ready");
    r.copies[1]?.ready();
    assert.deepEqual(r.copies[0]?.signals, ["SIGTERM"]);
    assert.equal(r.count("wrap_reload_complete"), 0, "complete only once the old copy is gone");
    assert.deepEqual(
      r.w.snapshot().workers.map((x) => [x.id, x.pid, x.status]),
      [
        [0, 500, "stopping"],
        [1, 501, "ready"],
      ],
    );
    r.copies[0]?.exit(0);
    assert.equal(r.count("wrap_reload_complete"), 1);
    assert.equal(r.w.snapshot().phase, "running");
    assert.equal(r.w.snapshot().active, 1);
  });

  it("reload signals during a reload coalesce into one more", () => {
    const r = rig();
    r.copies[0]?.ready();
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGUSR1");
    r.adapter.signal("SIGHUP");
    assert.equal(r.copies.length, 2);
    assert.equal(r.count("reload_queued"), 1);
    r.copies[1]?.ready();
    assert.equal(r.copies.length, 3, "the queued reload starts once the first one's copy is ready");
    r.copies[2]?.ready();
    assert.equal(r.copies.length, 3);
  });

  it("a new copy not ready within startup_timeout: reload failed with its output, SIGTERM, SIGKILL after reload_timeout; the old one serves", () => {
    const r = rig(["--startup-timeout", "5", "--reload-timeout", "2"]);
    r.copies[0]?.ready();
    r.adapter.signal("SIGHUP");
    r.clock.advance(4_999);
    assert.equal(r.count("reload_failed"), 0);
    r.clock.advance(1);
    const failed = r.records.find((x) => x.event === "reload_failed");
    assert.match(
      String(failed?.msg),
      /new copy 1 \(pid 501\) not ready within startup_timeout \(5\.0s\); last output: booting \| error: bad config/,
    );
    assert.deepEqual(r.copies[1]?.signals, ["SIGTERM"]);
    r.clock.advance(2_000);
    assert.ok(r.copies[1]?.groupKilled);
    assert.deepEqual(r.copies[0]?.signals, [], "the old copy was never stopped");
    r.adapter.signal("SIGHUP");
    assert.equal(r.copies.length, 3, "the next reload starts normally");
  });

  it("an old copy that ignores SIGTERM is killed (group) at reload_timeout", () => {
    const r = rig(["--reload-timeout", "3"]);
    r.copies[0]?.ready();
    r.adapter.signal("SIGHUP");
    r.copies[1]?.ready();
    r.clock.advance(2_999);
    assert.equal(r.copies[0]?.groupKilled, false);
    r.clock.advance(1);
    assert.equal(r.copies[0]?.groupKilled, true);
    assert.match(
      String(r.records.find((x) => x.event === "copy_force_stop")?.msg),
      /did not exit within reload_timeout \(3\.0s\)/,
    );
    assert.equal(r.count("wrap_reload_complete"), 1);
  });

  it("the current copy dies: restarted at once, then with growing back-off", () => {
    const r = rig();
    r.copies[0]?.ready();
    r.copies[0]?.exit(1);
    assert.equal(r.copies.length, 2, "the first crash is restarted at once");
    r.copies[1]?.ready();
    r.copies[1]?.exit(1);
    assert.equal(r.copies.length, 2);
    assert.equal(r.count("copy_restart_backoff"), 1);
    r.clock.advance(99);
    assert.equal(r.copies.length, 2);
    r.clock.advance(1);
    assert.equal(r.copies.length, 3);
    r.copies[2]?.exit(1); // a restart that does not come up is one more crash
    r.clock.advance(199);
    assert.equal(r.copies.length, 3);
    r.clock.advance(1);
    assert.equal(r.copies.length, 4);
  });

  it("--no-restart: the wrapper exits with the copy's status (128 + signal number for a signal)", () => {
    const r = rig(["--no-restart"]);
    r.copies[0]?.ready();
    r.copies[0]?.exit(null, "SIGKILL");
    assert.equal(r.adapter.exitCode, 137);
    const s = rig(["--no-restart"]);
    s.copies[0]?.ready();
    s.copies[0]?.exit(4);
    assert.equal(s.adapter.exitCode, 4);
  });

  it("a boot copy that exits: exit 1 with its status and output", () => {
    const r = rig();
    r.copies[0]?.exit(3);
    assert.equal(r.adapter.exitCode, 1);
    assert.match(
      String(r.records.find((x) => x.event === "boot_failed")?.msg),
      /copy 0 \(pid 500\) exited during start-up \(exit code 3\); last output/,
    );
  });

  it("SIGTERM: SIGTERM to every copy, exit 0 once all are gone; a second one kills them, exit 1", () => {
    const r = rig();
    r.copies[0]?.ready();
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGTERM");
    assert.deepEqual(r.copies[0]?.signals, ["SIGTERM"]);
    assert.deepEqual(r.copies[1]?.signals, ["SIGTERM"], "a starting copy is stopped too");
    r.adapter.signal("SIGHUP");
    assert.equal(r.count("reload_ignored"), 1);
    r.copies[0]?.exit(0);
    assert.equal(r.adapter.exitCode, undefined);
    r.copies[1]?.exit(0);
    assert.equal(r.adapter.exitCode, 0);
    const s = rig();
    s.copies[0]?.ready();
    s.adapter.signal("SIGTERM");
    s.adapter.signal("SIGINT");
    assert.ok(s.copies[0]?.groupKilled);
    assert.equal(s.adapter.exitCode, 1);
  });

  it("shutdown_timeout: a copy that does not exit is killed, and the wrapper still exits 0", () => {
    const r = rig(["--shutdown-timeout", "4"]);
    r.copies[0]?.ready();
    r.adapter.signal("SIGTERM");
    r.clock.advance(4_000);
    assert.ok(r.copies[0]?.groupKilled);
    assert.equal(r.adapter.exitCode, 0);
  });

  it("READY=1 on the NOTIFY_SOCKET readies the starting copy; one from a copy that was given up on does not", () => {
    const r = rig(["--startup-timeout", "5"]);
    r.w.dispatch({ type: "notify-ready", senderPid: undefined });
    assert.equal(r.count("wrap_ready"), 1);
    assert.match(String(r.records.find((x) => x.event === "copy_ready")?.msg), /is ready: READY=1 on its NOTIFY_SOCKET/);
    r.adapter.signal("SIGHUP");
    r.clock.advance(5_000); // copy 1 given up on: it is stopping
    r.adapter.signal("SIGHUP");
    assert.equal(r.copies.length, 3);
    r.w.dispatch({ type: "notify-ready", senderPid: r.copies[1]?.pid });
    assert.deepEqual(r.copies[0]?.signals, [], "a late READY=1 from the abandoned copy changes nothing");
    r.w.dispatch({ type: "notify-ready", senderPid: 99999 }); // e.g. a helper process of copy 2
    assert.deepEqual(r.copies[0]?.signals, ["SIGTERM"], "copy 2 took over");
  });

  it("--ready notify on a runtime that cannot receive datagrams: refused with one line", async () => {
    await assert.rejects(
      openNotifySocket(new FakeAdapter(), true, () => {}),
      /--ready notify needs to receive unix datagrams: pounce on fake cannot/,
    );
    assert.equal(await openNotifySocket(new FakeAdapter(), false, () => {}), undefined);
  });

  it("--listen forms: HOST:PORT, [IPv6]:PORT, :PORT, unix:PATH (relative to the cwd); anything else is refused", () => {
    assert.deepEqual(parseListen("0.0.0.0:8000", "/x"), { kind: "tcp", host: "0.0.0.0", port: 8000 });
    assert.deepEqual(parseListen("[::1]:80", "/x"), { kind: "tcp", host: "::1", port: 80 });
    assert.deepEqual(parseListen(":9000", "/x"), { kind: "tcp", host: "127.0.0.1", port: 9000 });
    assert.deepEqual(parseListen("unix:run/app.sock", "/srv"), { kind: "unix", path: "/srv/run/app.sock" });
    for (const bad of ["8000", "host", "unix:", "a:b", "1.2.3.4:70000"])
      assert.throws(() => parseListen(bad, "/x"), /--listen must be/);
  });
});
