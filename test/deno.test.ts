/**
 * Deno-only cases (the lifecycle suite's `deno` row covers the rest): the forced stop-then-start
 * fallback, the missing-permission error, the unstable flag the operator never passes, apps that
 * call Deno.exit() or throw at top level, and net.ipv4.tcp_migrate_req (with measured loss).
 *
 * The tcp_migrate_req cases run pounce and its load inside a fresh network namespace (unshare, as
 * root), so switching the setting never touches the machine's own (other tests, other engineers).
 * There this same file is the program: POUNCE_DENO_MIGRATE_CHILD=on|off makes it measure and print
 * one JSON line instead of declaring tests.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cleanup, load, Pounce, processesInGroup, request, sleep, tempDir, versionedApp, writeApp } from "./_harness.ts";
import { canUseNetns, inNetns, MIGRATE } from "./_netns.ts";
import { ALL_RUNTIMES, ROOT, type Runtime } from "./_runtimes.ts";

const deno = ALL_RUNTIMES.find((r) => r.name === "deno") as Runtime;
const BIN = `${ROOT}/bin/pounce.mjs`;
const wanted = (process.env.POUNCE_TEST_RUNTIMES ?? "deno").split(",").includes("deno");
const DENO_BIN = realpathSync(deno.exe);

/** A runtime row with other `deno run` flags in front of pounce. */
function withFlags(flags: string[]): Runtime {
  return { ...deno, name: `deno ${flags.join(" ")}`, argv: (a) => [deno.exe, "run", ...flags, BIN, ...a] };
}

// ── child mode: one measurement inside a network namespace ────────────────────────────────────
async function measureMigrate(mode: "on" | "off"): Promise<void> {
  const reloads = 5;
  const dir = tempDir();
  versionedApp(dir, "v0");
  const before = readFileSync(MIGRATE, "utf8").trim();
  const p = await Pounce.start(deno, [`${dir}/app.ts`, "--workers", "2"]);
  const sysctl = readFileSync(MIGRATE, "utf8").trim();
  const loading = load(p.port, { keepAlive: 0, perRequest: 8, durationMs: reloads * 1_500 + 1_000, maxRequests: 100_000 });
  for (let i = 1; i <= reloads; i++) {
    await sleep(1_000);
    versionedApp(dir, `v${i}`);
    const mark = p.output.length;
    p.signal("SIGHUP");
    await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 10_000 });
  }
  const res = await loading;
  p.signal("SIGTERM");
  await p.exited();
  process.stdout.write(
    `${JSON.stringify({
      mode,
      before,
      sysctl,
      reloads,
      ok: res.ok,
      failed: res.failed,
      errors: res.errors,
      enabledLine: /Set net\.ipv4\.tcp_migrate_req=1/.test(p.output),
      warnedLine: /net\.ipv4\.tcp_migrate_req is 0: .*sysctl -w .*securityContext\.sysctls.*docker run --sysctl/.test(p.output),
    })}\n`,
  );
  cleanup(dir);
}

const childMode = process.env.POUNCE_DENO_MIGRATE_CHILD;
if (childMode === "on" || childMode === "off") await measureMigrate(childMode);
else declareTests();

function declareTests(): void {
  describe("deno only", { skip: !wanted && "POUNCE_TEST_RUNTIMES does not include deno" }, () => {
    it("forced stop-then-start (--reload-strategy restart): logged, import-checked, bad deploy keeps the old code", async (t) => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const p = await Pounce.start(deno, [`${dir}/app.ts`, "--workers", "2", "--reload-strategy", "restart"]);
      try {
        assert.match(p.output, /Reloads will stop the old workers before starting new ones \(--reload-strategy restart\)/);
        versionedApp(dir, "v2");
        let mark = p.output.length;
        const sentAt = Date.now();
        p.signal("SIGHUP");
        await p.waitFor("Import check passed", { from: mark });
        // Measure the gap a stop-then-start reload leaves.
        let gapStart = 0;
        let gapEnd = 0;
        for (;;) {
          const r = await request(p.url("/"), { timeoutMs: 1_000 }).catch(() => undefined);
          if (r?.body === "v2") {
            gapEnd = Date.now();
            break;
          }
          if (!r && !gapStart) gapStart = Date.now();
          assert.ok(Date.now() - sentAt < 15_000, "v2 never served");
          await sleep(5);
        }
        await p.waitFor("Graceful reload complete. Running 2 worker(s)", { from: mark });
        t.diagnostic(
          `stop-then-start: no service for ${gapStart ? gapEnd - gapStart : 0} ms (SIGHUP to v2 served: ${gapEnd - sentAt} ms)`,
        );
        // A bad deploy fails the import check; the old workers are never stopped.
        writeApp(dir, "app.ts", "export default {{ syntax error");
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*failed to import/, { from: mark });
        assert.doesNotMatch(p.output.slice(mark), /Import check passed/);
        assert.equal((await request(p.url("/"))).body, "v2");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    for (const flags of [[], ["--allow-read"], ["--allow-read", "--allow-env", "--allow-net"]]) {
      it(`a missing permission (deno run ${flags.join(" ") || "with none"}) is one line and exit 2, not a Deno stack`, () => {
        const dir = tempDir();
        versionedApp(dir, "v1");
        const res = spawnSync(deno.exe, ["run", ...flags, BIN, `${dir}/app.ts`, "--port", "0"], {
          encoding: "utf8",
          timeout: 15_000,
          stdio: ["ignore", "pipe", "pipe"],
        });
        assert.equal(res.status, 2, res.stderr);
        const lines = res.stderr.trim().split("\n");
        assert.equal(lines.length, 1, res.stderr);
        assert.match(lines[0] as string, /^pounce: error: missing Deno permissions? .*--allow-run/);
        assert.doesNotMatch(res.stderr, /NotCapable|Uncaught|\n\s+at /);
        cleanup(dir);
      });
    }

    it("the minimum permission set (no -A) boots, reloads and stops; no unstable flag from the operator", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      const rt = withFlags(["--allow-read", "--allow-env", "--allow-net", `--allow-run=${DENO_BIN}`]);
      const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        assert.equal((await request(p.url("/"))).body, "v1");
        // Without -A, /proc is closed to Deno: the sysctl cannot even be read, and pounce says so.
        assert.match(p.output, /tcp_migrate_req is not available/);
        assert.match(p.output, /Without --allow-ffi \(or -A\) a draining worker cannot stop its listener/);
        versionedApp(dir, "v2");
        p.signal("SIGHUP");
        await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 1");
        assert.equal((await request(p.url("/"))).body, "v2");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    it("--unstable-net is the workers' business: the supervisor keeps the PID it was started with", async () => {
      const dir = tempDir();
      versionedApp(dir, "v1");
      for (const rt of [deno, withFlags(["-A", "--unstable-net"])]) {
        const pidFile = `${dir}/pounce.pid`;
        const p = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2", "--pid-file", pidFile]);
        try {
          assert.equal(readFileSync(pidFile, "utf8").trim(), String(p.pid));
          const group = processesInGroup(p.pid);
          const workers = group.filter((x) => x.pid !== p.pid);
          assert.equal(workers.length, 2, JSON.stringify(group));
          // Workers are the supervisor's own children, not a re-spawned supervisor's.
          for (const w of workers) assert.equal(w.ppid, p.pid, JSON.stringify(group));
          assert.doesNotMatch(p.output, /Unstable API|unstable-net/);
          assert.equal((await request(p.url("/"))).body, "v1");
        } finally {
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
        }
      }
      cleanup(dir);
    });

    it("an app that calls Deno.exit() or throws at top level never takes the supervisor down", async () => {
      const dir = tempDir();
      const app = (extra: string) =>
        writeApp(
          dir,
          "app.ts",
          `${extra}
export default {
  fetch(request: Request): Response {
    if (new URL(request.url).pathname === "/exit") Deno.exit(3);
    return new Response("ok");
  },
};
`,
        );
      app("");
      const p = await Pounce.start(deno, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        let mark = p.output.length;
        await assert.rejects(request(p.url("/exit")));
        await p.waitFor(/Worker \d+ \(generation 0\) died \(exit code 3\)/, { from: mark });
        await p.waitFor(/Replacement worker \d+ \(generation 0\) is ready/, { from: mark });
        assert.equal((await request(p.url("/"))).body, "ok");
        app('throw new Error("top-level boom");');
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor(/Reload failed — continuing with previous version: .*top-level boom/, { from: mark });
        assert.equal((await request(p.url("/"))).body, "ok");
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
        cleanup(dir);
      }
    });

    const netns = canUseNetns();
    it("tcp_migrate_req off (read-only /proc/sys): pounce warns once with the remedy; loss per reload measured", {
      skip: netns,
    }, async (t) => {
      const r = await inNetns(join(ROOT, "test/deno.test.ts"), "POUNCE_DENO_MIGRATE_CHILD", "off");
      t.diagnostic(
        `tcp_migrate_req off: ${JSON.stringify(r)} → ${(Number(r.failed) / Number(r.reloads)).toFixed(2)} failed per reload`,
      );
      assert.equal(r.sysctl, "0");
      assert.equal(r.warnedLine, true);
      assert.equal(r.enabledLine, false);
      assert.ok(Number(r.ok) > 100);
    });

    it("tcp_migrate_req on: pounce turns it on (root, writable) and reloads under connection-per-request load lose nothing", {
      skip: netns,
    }, async (t) => {
      const r = await inNetns(join(ROOT, "test/deno.test.ts"), "POUNCE_DENO_MIGRATE_CHILD", "on");
      t.diagnostic(`tcp_migrate_req on: ${JSON.stringify(r)}`);
      assert.equal(r.before, "0");
      assert.equal(r.sysctl, "1");
      assert.equal(r.enabledLine, true);
      assert.equal(r.failed, 0, JSON.stringify(r.errors));
      assert.ok(Number(r.ok) > 100);
    });
  });
}
