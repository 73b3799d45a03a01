/**
 * Deno-only cases (the lifecycle suite's `deno` row covers the rest): the forced stop-then-start
 * fallback, the missing-permission error, the unstable flag the operator never passes, apps that
 * call Deno.exit() or throw at top level, and net.ipv4.tcp_migrate_req (with measured loss).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { cleanup, load, Pounce, processesInGroup, request, sleep, tempDir, versionedApp, writeApp } from "./_harness.ts";
import { ALL_RUNTIMES, ROOT, type Runtime } from "./_runtimes.ts";

const deno = ALL_RUNTIMES.find((r) => r.name === "deno") as Runtime;
const BIN = `${ROOT}/bin/pounce.mjs`;
const wanted = (process.env.POUNCE_TEST_RUNTIMES ?? "deno").split(",").includes("deno");
const DENO_BIN = realpathSync(deno.exe);
const MIGRATE = "/proc/sys/net/ipv4/tcp_migrate_req";

/** A runtime row with other `deno run` flags in front of pounce. */
function withFlags(flags: string[]): Runtime {
  return { ...deno, name: `deno ${flags.join(" ")}`, argv: (a) => [deno.exe, "run", ...flags, BIN, ...a] };
}

function canWriteMigrate(): boolean {
  try {
    accessSync(MIGRATE, constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

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

  it("tcp_migrate_req: turned on at start where pounce may; residual loss per reload measured off vs on", {
    skip: !canWriteMigrate() && "needs root and a writable /proc/sys",
  }, async (t) => {
    const original = readFileSync(MIGRATE, "utf8").trim();
    const dir = tempDir();
    versionedApp(dir, "v1");
    try {
      writeFileSync(MIGRATE, "0");
      const p = await Pounce.start(deno, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        assert.match(p.output, /Set net\.ipv4\.tcp_migrate_req=1/);
        assert.equal(readFileSync(MIGRATE, "utf8").trim(), "1");
        const reloads = 4;
        const measure = async (value: "0" | "1") => {
          writeFileSync(MIGRATE, value);
          const mark = p.output.length;
          const running = load(p.port, { keepAlive: 0, perRequest: 8, durationMs: reloads * 1_200 + 1_500 });
          for (let i = 0; i < reloads; i++) {
            await sleep(1_200);
            p.signal("SIGHUP");
            await p.waitFor("Graceful reload complete", { from: p.output.length - 1, timeoutMs: 10_000 }).catch(() => {});
          }
          const result = await running;
          await p.waitFor("Graceful reload complete", { from: mark });
          t.diagnostic(
            `tcp_migrate_req=${value}: ${result.ok} ok, ${result.failed} failed over ${reloads} reloads ` +
              `(${(result.failed / reloads).toFixed(2)} per reload) ${JSON.stringify(result.errors)}`,
          );
          return result;
        };
        const off = await measure("0");
        const on = await measure("1");
        assert.equal(on.failed, 0, `with tcp_migrate_req=1: ${JSON.stringify(on.errors)}`);
        assert.ok(off.ok > 100 && on.ok > 100);
      } finally {
        p.signal("SIGTERM");
        assert.equal((await p.exited()).code, 0);
      }
    } finally {
      writeFileSync(MIGRATE, original === "0" ? "1" : original);
      cleanup(dir);
    }
  });
});
