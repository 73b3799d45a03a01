/**
 * A reload reads its configuration first: the new generation starts with it (worker count, log
 * level, working directory); a read that fails refuses the reload; a reload that fails later leaves
 * the serving configuration in force; a request during the read makes it stale.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Config, resolveConfig } from "../../src/config.ts";
import type { LoadedConfig } from "../../src/config-source.ts";
import { parseEntry, resolveEntry } from "../../src/entry.ts";
import { PounceError } from "../../src/errors.ts";
import { Logger, type LogRecord } from "../../src/log.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";
import { FakeAdapter, FakeClock } from "./_fake.ts";

interface Read {
  resolve(v: LoadedConfig): void;
  reject(e: unknown): void;
}

function configRig(flags: Record<string, string> = {}, overlap = true) {
  const root = mkdtempSync(join(tmpdir(), "pounce-unit-cfg-"));
  const v1 = join(root, "v1");
  const v2 = join(root, "v2");
  for (const d of [v1, v2]) {
    mkdirSync(d);
    writeFileSync(join(d, "app.ts"), "export default { fetch: () => new Response('ok') };\n");
  }
  const config = (extra: Record<string, string> = {}): Config => resolveConfig("app.ts", { ...flags, ...extra }, {});
  const adapter = new FakeAdapter();
  adapter.canOverlap = overlap;
  const clock = new FakeClock();
  const records: LogRecord[] = [];
  const boot = config({ workers: "1" });
  const log = new Logger({ level: boot.logLevel, emit: (r) => records.push(r) });
  const reads: Read[] = [];
  const sup = new Supervisor({
    config: boot,
    adapter,
    log,
    entry: resolveEntry(parseEntry("app.ts"), v1),
    listen: { kind: "tcp", host: "127.0.0.1", port: 4321 },
    cwd: v1,
    pid: 42,
    clock,
    reloadConfig: () => new Promise<LoadedConfig>((resolve, reject) => reads.push({ resolve, reject })),
  });
  sup.start();
  for (const w of adapter.live(0)) w.ready();
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return {
    sup,
    adapter,
    clock,
    reads,
    v1,
    v2,
    config,
    settle,
    lines: () => records.map((r) => r.msg),
    events: () => records.map((r) => r.event ?? ""),
    /** Answer the newest read and let the supervisor handle it. */
    async answer(loaded: LoadedConfig | Error) {
      const read = reads.at(-1) as Read;
      if (loaded instanceof Error) read.reject(loaded);
      else read.resolve(loaded);
      await settle();
    },
  };
}

describe("supervisor: a reload reads the configuration first", () => {
  it("starts the new generation with the new worker count, in the new working directory", async () => {
    const r = configRig();
    r.adapter.signal("SIGHUP");
    assert.equal(r.reads.length, 1, "the configuration was not read");
    assert.equal(r.adapter.live(1).length, 0, "a generation started before the read was back");
    await r.answer({ config: r.config({ workers: "3" }), cwd: r.v2, file: join(r.v2, "pounce.config.ts") });
    const gen1 = r.adapter.live(1);
    assert.equal(gen1.length, 3);
    for (const w of gen1) assert.equal(w.spec.cwd, r.v2);
    assert.equal(r.adapter.live(0)[0]?.spec.cwd, r.v1);
    assert.ok(r.lines().includes(`Read configuration from ${join(r.v2, "pounce.config.ts")}`));
    for (const w of gen1) w.ready();
    r.adapter.worker(0).idle();
    assert.ok(r.lines().includes("Graceful reload complete. Running 3 worker(s) on generation 1"));
  });

  it("every per-generation setting of the new configuration reaches the new workers, the entry too", async () => {
    const r = configRig();
    writeFileSync(join(r.v2, "other.ts"), "export default { fetch: () => new Response('other') };\n");
    r.adapter.signal("SIGHUP");
    const next = r.config({
      "request-timeout": "4",
      "health-check-path": "/hz",
      "log-level": "warn",
      "access-log": "true",
      "shutdown-timeout": "6",
    });
    await r.answer({ config: { ...next, entry: "other.ts" }, cwd: r.v2 });
    const spec = r.adapter.live(1)[0]?.spec;
    assert.equal(spec?.file, join(r.v2, "other.ts"));
    assert.equal(spec?.requestTimeoutMs, 4_000);
    assert.equal(spec?.healthCheckPath, "/hz");
    assert.equal(spec?.logLevel, "warn");
    assert.equal(spec?.accessLog, true);
    assert.equal(spec?.orphanTimeoutMs, 6_000);
    const before = r.adapter.live(0)[0]?.spec;
    assert.equal(before?.healthCheckPath, "", "the serving generation's settings changed");
  });

  it("an invalid configuration refuses the reload: no generation starts, the old one serves, the next reload works", async () => {
    const r = configRig();
    r.adapter.signal("SIGHUP");
    await r.answer(
      new PounceError("E_CONFIG", "/srv/pounce.config.ts: workers must be a whole number from 1 to 1024, or auto (got 0)"),
    );
    assert.ok(
      r
        .lines()
        .includes(
          "Reload failed — continuing with previous version: /srv/pounce.config.ts: workers must be a whole number from 1 to 1024, or auto (got 0)",
        ),
    );
    assert.equal(r.adapter.workers.length, 1, "a worker was spawned");
    assert.equal(r.sup.snapshot().active, 0);
    assert.equal(r.sup.snapshot().pendingReload, false);
    r.clock.advance(1_000);
    r.adapter.signal("SIGHUP");
    assert.equal(r.reads.length, 2);
    await r.answer({ config: r.config({ workers: "2" }), cwd: r.v1 });
    assert.equal(r.adapter.live(1).length, 2);
  });

  it("a reload asked for while the read is under way reads again, and one reload runs", async () => {
    const r = configRig();
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGUSR1");
    await r.answer({ config: r.config({ workers: "2" }), cwd: r.v1 });
    assert.equal(r.adapter.live(1).length, 0, "started with a reading older than the last request");
    assert.equal(r.reads.length, 2, "did not read again");
    await r.answer({ config: r.config({ workers: "4" }), cwd: r.v2 });
    assert.equal(r.adapter.live(1).length, 4);
    assert.equal(r.adapter.workers.length, 5);
  });

  it("a reload that fails after reading leaves the serving configuration (shutdown timeout, directory) in force", async () => {
    const r = configRig({ "shutdown-timeout": "7" });
    r.adapter.signal("SIGHUP");
    await r.answer({ config: r.config({ workers: "1", "shutdown-timeout": "3" }), cwd: r.v2 });
    r.adapter.worker(1).fail("failed to import app.ts: boom");
    assert.ok(r.lines().includes("Reload failed — continuing with previous version: failed to import app.ts: boom"));
    assert.equal(r.sup.config.shutdownTimeout, 7);
    assert.equal(r.sup.cwd, r.v1);
    r.adapter.worker(0).exit(1); // its replacement runs in the serving generation's directory
    const replacement = r.adapter.live(0)[0];
    assert.equal(replacement?.spec.cwd, r.v1);
    replacement?.ready();
    r.adapter.signal("SIGTERM");
    assert.equal(replacement?.drains[0]?.timeoutMs, 7_000);
  });

  it("stop-then-start: when the new generation fails, the previous code restarts with its own configuration and directory", async () => {
    const r = configRig({}, false);
    r.adapter.signal("SIGHUP");
    await r.answer({ config: r.config({ workers: "2" }), cwd: r.v2 });
    const check = r.adapter.live(-1)[0];
    assert.equal(check?.spec.cwd, r.v2, "the import check runs in the new directory");
    check?.ready();
    check?.exit(0);
    r.adapter.worker(0).idle();
    const fresh = r.adapter.live(1);
    assert.equal(fresh.length, 2);
    fresh[0]?.fail("cannot listen");
    const again = r.adapter.live(2);
    assert.equal(again.length, 1, "the previous version restarted with the new worker count");
    assert.equal(again[0]?.spec.cwd, r.v1);
  });

  it("a new log level applies to the supervisor's own lines from that reload on", async () => {
    const r = configRig();
    r.adapter.signal("SIGHUP");
    await r.answer({ config: r.config({ "log-level": "debug" }), cwd: r.v1 });
    r.adapter.live(1)[0]?.ready();
    assert.ok(r.events().includes("worker_ready"), "debug line missing after the log level changed");
    assert.equal(r.events().filter((e) => e === "worker_ready").length, 1, "gen 0's worker_ready was logged at info level");
  });

  it("a stop while the configuration is read: the reload never starts", async () => {
    const r = configRig();
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGTERM");
    await r.answer({ config: r.config({ workers: "2" }), cwd: r.v2 });
    assert.equal(r.adapter.workers.length, 1);
    r.adapter.worker(0).idle();
    assert.equal(r.adapter.exitCode, 0);
  });
});
