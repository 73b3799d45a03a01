/**
 * Bun-only cases (the lifecycle suite runs Bun as one of its rows): the stop-then-start fallback,
 * net.ipv4.tcp_migrate_req on and off, and `bunx pounce` running on Bun.
 *
 * The tcp_migrate_req cases run pounce and its load inside a fresh network namespace (unshare, as
 * root), so switching the setting never touches the machine's own (other tests, other engineers).
 * There this same file is the program: POUNCE_BUN_MIGRATE_CHILD=on|off makes it measure and print
 * one JSON line instead of declaring tests.
 */
import assert from "node:assert/strict";
import { accessSync, constants, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cleanup, load, Pounce, processes, request, sleep, tempDir, versionedApp, waitUntil } from "./_harness.ts";
import { canUseNetns, inNetns, MIGRATE } from "./_netns.ts";
import { ALL_RUNTIMES, ROOT, type Runtime } from "./_runtimes.ts";

const bun = ALL_RUNTIMES.find((r) => r.name === "bun") as Runtime;
const BUNX = join(ROOT, "node_modules/.bin/bunx");

// ── child mode: one measurement inside a network namespace ────────────────────────────────────
async function measureMigrate(mode: "on" | "off"): Promise<void> {
  const reloads = Number(process.env.POUNCE_BUN_RELOADS ?? 5);
  const dir = tempDir();
  versionedApp(dir, "v0");
  const p = await Pounce.start(bun, [`${dir}/app.ts`, "--workers", "2"]);
  const sysctl = (await import("node:fs")).readFileSync(MIGRATE, "utf8").trim();
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

const childMode = process.env.POUNCE_BUN_MIGRATE_CHILD;
if (childMode === "on" || childMode === "off") {
  await measureMigrate(childMode);
} else {
  declareTests();
}

function declareTests(): void {
  describe("bun: stop-then-start fallback", () => {
    for (const how of ["--reload-strategy restart", "no reusePort (as off Linux)"] as const) {
      it(`${how}: a bad deploy keeps the old code serving; a good one serves after a short, measured gap`, async (t) => {
        const dir = tempDir();
        versionedApp(dir, "v1");
        // Without reusePort, processes cannot share the port: one worker (pounce says so for more).
        const args = [`${dir}/app.ts`, "--workers", how === "--reload-strategy restart" ? "2" : "1"];
        if (how === "--reload-strategy restart") args.push("--reload-strategy", "restart");
        const env = how === "--reload-strategy restart" ? {} : { POUNCE_BUN_NO_REUSEPORT: "1" };
        const p = await Pounce.start(bun, args, { env });
        try {
          assert.match(
            p.output,
            how === "--reload-strategy restart"
              ? /Reloads will stop the old workers before starting new ones \(--reload-strategy restart\)/
              : /Reloads will stop the old workers before starting new ones \(Bun\.serve's reusePort shares a port only on Linux/,
          );

          // A bad deploy: the import check fails in a worker that never binds; the old workers never stop.
          writeFileSync(`${dir}/app.ts`, "export default { fetch( };\n");
          let mark = p.output.length;
          const during = load(p.port, { keepAlive: 4, perRequest: 0, durationMs: 1_500 });
          p.signal("SIGHUP");
          await p.waitFor("Checking that", { from: mark });
          await p.waitFor("Reload failed — continuing with previous version", { from: mark });
          const bad = await during;
          assert.equal(bad.failed, 0, JSON.stringify(bad.errors));
          assert.ok(bad.responses.every((r) => r.body === "v1"));
          assert.doesNotMatch(p.output.slice(mark), /stop-then-start reload/);

          // A good deploy under keep-alive load: old code until the stop, new code after; the gap is
          // the restart (stop, then import and bind), logged as stop-then-start.
          versionedApp(dir, "v2");
          mark = p.output.length;
          const loading = load(p.port, { keepAlive: 4, perRequest: 0, durationMs: 3_000 });
          await sleep(500);
          const hupAt = Date.now();
          p.signal("SIGHUP");
          await p.waitFor("Import check passed — stopping the old workers, then starting the new ones (stop-then-start reload)", {
            from: mark,
          });
          await p.waitFor(/Spawning \d+ worker\(s\) \(generation/, { from: mark });
          const res = await loading;
          const firstV2 = res.responses.find((r) => r.body === "v2");
          assert.ok(firstV2, "new code never served");
          const lastV1 = res.responses.filter((r) => r.body === "v1").at(-1);
          // Never v1 again once v2 served.
          assert.ok(!lastV1 || lastV1.at <= firstV2.at);
          assert.equal((await request(p.url("/"))).body, "v2");
          const gap = firstV2.at - Math.max(lastV1?.at ?? hupAt, hupAt);
          assert.ok(gap < 3_000, `gap ${gap} ms`);
          t.diagnostic(`${how}: ${res.ok} ok, ${res.failed} failed (${JSON.stringify(res.errors)}), gap ${gap} ms`);
        } finally {
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
          cleanup(dir);
        }
      });
    }
  });

  describe("bun: net.ipv4.tcp_migrate_req", () => {
    const skip = canUseNetns();
    it("on: pounce turns it on (root) and a reload under connection-per-request load loses nothing", { skip }, async (t) => {
      const r = await inNetns(join(ROOT, "test/bun.test.ts"), "POUNCE_BUN_MIGRATE_CHILD", "on");
      t.diagnostic(`tcp_migrate_req on: ${JSON.stringify(r)}`);
      assert.equal(r.sysctl, "1");
      assert.equal(r.enabledLine, true, "no line saying pounce set it");
      assert.equal(r.failed, 0, JSON.stringify(r.errors));
      assert.ok((r.ok as number) > 1_000);
    });
    it("off (read-only /proc/sys): pounce warns once with the remedy; loss per reload measured", { skip }, async (t) => {
      const r = await inNetns(join(ROOT, "test/bun.test.ts"), "POUNCE_BUN_MIGRATE_CHILD", "off");
      t.diagnostic(
        `tcp_migrate_req off: ${JSON.stringify(r)} → ${((r.failed as number) / (r.reloads as number)).toFixed(1)} failed per reload`,
      );
      assert.equal(r.sysctl, "0");
      assert.equal(r.warnedLine, true, "no warning with the remedy");
      assert.ok((r.ok as number) > 1_000);
      // Only resets of queued connections may fail, never a timeout (a swallowed connection).
      for (const key of Object.keys(r.errors as object)) assert.match(key, /ECONNRESET|socket hang up|ECONNREFUSED/);
    });
  });

  describe("bun: bunx", () => {
    it("`bunx pounce app.ts` runs pounce on Bun; signals reach it; Ctrl-C is one SIGINT; exit code passes through", async () => {
      const dir = tempDir();
      // A project that depends on pounce (linked to this checkout), as after `bun add pounce`.
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "bunx-probe", private: true }));
      mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
      symlinkSync(ROOT, join(dir, "node_modules/pounce"));
      symlinkSync("../pounce/bin/pounce.mjs", join(dir, "node_modules/.bin/pounce"));
      writeFileSync(
        join(dir, "app.ts"),
        `export default { fetch: () => new Response(process.versions.bun ? "bun " + process.versions.bun : "node " + process.version) };\n`,
      );
      accessSync(BUNX, constants.X_OK);
      const bunxRow: Runtime = { ...bun, name: "bunx", exe: BUNX, argv: (a) => [BUNX, "pounce", ...a] };
      // bunx runs the `node` on PATH: Node 20 here (no process.execve: a relaying child) or Node 24
      // (execve: the supervisor replaces that node process, no wrapper left).
      const node24Dir = join(ROOT, ".runtimes/node_modules/.bin");
      const variants = [{ node: "node20", env: {} as Record<string, string> }];
      if (existsSync(join(node24Dir, "node")))
        variants.push({ node: "node24", env: { PATH: `${node24Dir}:${process.env.PATH}` } });
      for (const { node, env } of variants) {
        for (const stop of ["SIGTERM", "SIGINT to the group"] as const) {
          const p = await Pounce.start(bunxRow, ["app.ts", "--workers", "1"], { cwd: dir, env });
          try {
            assert.match(p.output, /Starting pounce .* \(bun \d/);
            assert.match((await request(p.url("/"))).body, /^bun \d/);
            const sup = processes().find((x) => x.pgid === p.pid && x.args.startsWith("pounce: supervisor app.ts"));
            assert.ok(sup, JSON.stringify(processes().filter((x) => x.pgid === p.pid)));
            if (node === "node24") assert.equal(sup.ppid, p.pid, "with execve the supervisor is bunx's own child");
            // SIGHUP to the process the operator started (bunx) reaches the supervisor.
            const mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor("Graceful reload complete", { from: mark });
            if (stop === "SIGTERM") p.signal("SIGTERM");
            else p.signalGroup("SIGINT");
            const { code } = await p.exited();
            assert.equal(code, 0, `${node}, ${stop}: ${p.output}`);
            assert.doesNotMatch(p.output, /Received second SIGINT/);
            assert.match(p.output, /All workers stopped/);
            await waitUntil("nothing left", () => p.groupPids().length === 0, 5_000);
          } finally {
            p.kill();
          }
        }
      }
      cleanup(dir);
    });
  });
}
