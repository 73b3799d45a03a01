/**
 * Bun-only cases (the lifecycle suite runs Bun as one of its rows): the stop-then-start fallback
 * without reusePort (as off Linux), net.ipv4.tcp_migrate_req on and off, and `bunx pounce` running on
 * Bun. They run when POUNCE_TEST_RUNTIMES includes bun (the default: all rows).
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
import { processes, request, startLoad, versionedApp, withPounce, withTempDir } from "./_harness.ts";
import { canUseNetns, inNetns, measureMigrate } from "./_netns.ts";
import { ALL_RUNTIMES, ROOT, type Runtime } from "./_runtimes.ts";

const bun = ALL_RUNTIMES.find((r) => r.name === "bun") as Runtime;
const BUNX = join(ROOT, "node_modules/.bin/bunx");

const wanted = (process.env.POUNCE_TEST_RUNTIMES ?? "bun").split(",").includes("bun");
const skip = !wanted && "POUNCE_TEST_RUNTIMES does not include bun";

// Child mode: one measurement inside a network namespace (see _netns.ts).
const childMode = process.env.POUNCE_BUN_MIGRATE_CHILD;
if (childMode === "on" || childMode === "off") {
  await measureMigrate(bun, childMode, Number(process.env.POUNCE_BUN_RELOADS ?? 3));
} else {
  declareTests();
}

function declareTests(): void {
  // `--reload-strategy restart` is tested on every row in restart-strategy.test.ts.
  describe("bun: stop-then-start fallback", { skip }, () => {
    it("no reusePort (as off Linux): a bad deploy keeps the old code serving; a good one serves after a short, measured gap", async (t) => {
      // Without reusePort, processes cannot share the port: one worker (pounce says so for more).
      const args = (dir: string) => [versionedApp(dir, "v1"), "--workers", "1"];
      await withPounce(bun, args, { env: { POUNCE_BUN_NO_REUSEPORT: "1" } }, async (p, dir) => {
        assert.match(
          p.output,
          /Reloads will stop the old workers before starting new ones \(Bun\.serve's reusePort shares a port only on Linux/,
        );

        // A bad deploy: the import check fails in a worker that never binds; the old workers never stop.
        writeFileSync(`${dir}/app.ts`, "export default { fetch( };\n");
        let mark = p.output.length;
        const during = startLoad(p.port, { keepAlive: 4, perRequest: 0, durationMs: 10_000 });
        await during.seen(50);
        p.signal("SIGHUP");
        await p.waitFor("Checking that", { from: mark });
        await p.waitFor("Reload failed — continuing with previous version", { from: mark });
        await during.seen(during.result.ok + during.result.failed + 50);
        const bad = await during.stop();
        assert.equal(bad.failed, 0, JSON.stringify(bad.errors));
        assert.ok(bad.responses.every((r) => r.body === "v1"));
        assert.doesNotMatch(p.output.slice(mark), /stop-then-start reload/);

        // A good deploy under keep-alive load: old code until the stop, new code after; the gap is
        // the restart (stop, then import and bind), logged as stop-then-start.
        versionedApp(dir, "v2");
        mark = p.output.length;
        const loading = startLoad(p.port, { keepAlive: 4, perRequest: 0, durationMs: 15_000 });
        await loading.seen(50);
        const hupAt = Date.now();
        p.signal("SIGHUP");
        await p.waitFor("Import check passed — stopping the old workers, then starting the new ones (stop-then-start reload)", {
          from: mark,
        });
        await p.waitFor(/Spawning \d+ worker\(s\) \(generation/, { from: mark });
        const readyAt = p.arrivedAt(await p.waitFor("Successfully reimported app", { from: mark }));
        await loading.until("20 v2 responses", (r) => r.responses.filter((x) => x.body === "v2").length >= 20);
        const res = await loading.stop();
        const firstV2 = res.responses.find((r) => r.body === "v2");
        assert.ok(firstV2, "new code never served");
        const lastV1 = res.responses.filter((r) => r.body === "v1").at(-1);
        // Never v1 again once v2 served.
        assert.ok(!lastV1 || lastV1.at <= firstV2.at);
        assert.equal((await request(p.url("/"))).body, "v2");
        const gap = firstV2.at - Math.max(lastV1?.at ?? hupAt, hupAt);
        const late = firstV2.at - readyAt;
        t.diagnostic(
          `no reusePort: ${res.ok} ok, ${res.failed} failed (${JSON.stringify(res.errors)}), gap ${gap} ms, v2 ${late} ms after ready`,
        );
        // The gap is the restart itself: the new code serves as soon as its worker is ready.
        assert.ok(late < 500, `first v2 response ${late} ms after the new generation was ready`);
        assert.ok(gap < 3_000, `gap ${gap} ms`);
      });
    });
  });

  describe("bun: net.ipv4.tcp_migrate_req", { skip }, () => {
    const netns = canUseNetns();
    it("on: pounce turns it on (root) and a reload under connection-per-request load loses nothing", {
      skip: netns,
    }, async (t) => {
      const r = await inNetns(join(ROOT, "test/bun.test.ts"), "POUNCE_BUN_MIGRATE_CHILD", "on");
      t.diagnostic(`tcp_migrate_req on: ${JSON.stringify(r)}`);
      assert.equal(r.sysctl, "1");
      assert.equal(r.enabledLine, true, "no line saying pounce set it");
      assert.equal(r.failed, 0, JSON.stringify(r.errors));
      assert.ok((r.ok as number) > 1_000);
    });
    it("off (read-only /proc/sys): pounce warns once with the remedy; loss per reload measured", { skip: netns }, async (t) => {
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

  describe("bun: bunx", { skip }, () => {
    it("`bunx pounce app.ts` runs pounce on Bun; signals reach it; Ctrl-C is one SIGINT; exit code passes through", async () => {
      await withTempDir(async (dir) => {
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
            await withPounce(bunxRow, ["app.ts", "--workers", "1"], { dir, cwd: dir, env }, async (p) => {
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
              // (the fixture asserts that nothing of the group is left)
            });
          }
        }
      });
    });
  });
}
