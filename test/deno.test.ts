/**
 * Deno-only cases (the lifecycle suite's `deno` row covers the rest, --reload-strategy restart
 * included): the missing-permission error, the unstable flag the operator never passes, apps that
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
import { processesInGroup, request, versionedApp, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { canUseNetns, inNetns, measureMigrate } from "./_netns.ts";
import { ALL_RUNTIMES, ROOT, type Runtime } from "./_runtimes.ts";

const deno = ALL_RUNTIMES.find((r) => r.name === "deno") as Runtime;
const BIN = `${ROOT}/bin/pounce.mjs`;
const wanted = (process.env.POUNCE_TEST_RUNTIMES ?? "deno").split(",").includes("deno");
const DENO_BIN = realpathSync(deno.exe);

/** A runtime row with other `deno run` flags in front of pounce. */
function withFlags(flags: string[]): Runtime {
  return { ...deno, name: `deno ${flags.join(" ")}`, argv: (a) => [deno.exe, "run", ...flags, BIN, ...a] };
}

// Child mode: one measurement inside a network namespace (see _netns.ts).
const childMode = process.env.POUNCE_DENO_MIGRATE_CHILD;
if (childMode === "on" || childMode === "off")
  await measureMigrate(deno, childMode, Number(process.env.POUNCE_DENO_RELOADS ?? 3));
else declareTests();

function declareTests(): void {
  describe("deno only", { skip: !wanted && "POUNCE_TEST_RUNTIMES does not include deno" }, () => {
    // The forced stop-then-start fallback (--reload-strategy restart) runs on every row: restart-strategy.test.ts.
    for (const flags of [[], ["--allow-read"], ["--allow-read", "--allow-env", "--allow-net"]]) {
      it(`a missing permission (deno run ${flags.join(" ") || "with none"}) is one line and exit 2, not a Deno stack`, async () => {
        const res = await withTempDir(async (dir) =>
          spawnSync(deno.exe, ["run", ...flags, BIN, versionedApp(dir, "v1"), "--port", "0"], {
            encoding: "utf8",
            timeout: 15_000,
            stdio: ["ignore", "pipe", "pipe"],
          }),
        );
        assert.equal(res.status, 2, res.stderr);
        const lines = res.stderr.trim().split("\n");
        assert.equal(lines.length, 1, res.stderr);
        assert.match(lines[0] as string, /^pounce: error: missing Deno permissions? .*--allow-run/);
        assert.doesNotMatch(res.stderr, /NotCapable|Uncaught|\n\s+at /);
      });
    }

    it("the minimum permission set (no -A) boots, reloads and stops; no unstable flag from the operator", async () => {
      const rt = withFlags(["--allow-read", "--allow-env", "--allow-net", `--allow-run=${DENO_BIN}`]);
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2"],
        async (p, dir) => {
          assert.equal((await request(p.url("/"))).body, "v1");
          // Without -A, /proc is closed to Deno: the sysctl cannot even be read, and pounce says so.
          assert.match(p.output, /tcp_migrate_req is not available/);
          assert.match(p.output, /Without --allow-ffi \(or -A\) a draining worker cannot stop its listener/);
          versionedApp(dir, "v2");
          p.signal("SIGHUP");
          await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 1");
          assert.equal((await request(p.url("/"))).body, "v2");
        },
      );
    });

    it("--unstable-net is the workers' business: the supervisor keeps the PID it was started with", async () => {
      for (const rt of [deno, withFlags(["-A", "--unstable-net"])]) {
        let pidFile = "";
        const args = (dir: string) => [versionedApp(dir, "v1"), "--workers", "2", "--pid-file", (pidFile = `${dir}/pounce.pid`)];
        await withPounce(rt, args, async (p) => {
          assert.equal(readFileSync(pidFile, "utf8").trim(), String(p.pid));
          const group = processesInGroup(p.pid);
          const workers = group.filter((x) => x.pid !== p.pid);
          assert.equal(workers.length, 2, JSON.stringify(group));
          // Workers are the supervisor's own children, not a re-spawned supervisor's.
          for (const w of workers) assert.equal(w.ppid, p.pid, JSON.stringify(group));
          assert.doesNotMatch(p.output, /Unstable API|unstable-net/);
          assert.equal((await request(p.url("/"))).body, "v1");
        });
      }
    });

    it("an app that calls Deno.exit() or throws at top level never takes the supervisor down", async () => {
      const app = (dir: string, extra: string) =>
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
      await withPounce(
        deno,
        (dir) => [app(dir, ""), "--workers", "2"],
        async (p, dir) => {
          let mark = p.output.length;
          await assert.rejects(request(p.url("/exit")));
          await p.waitFor(/Worker \d+ \(generation 0\) died \(exit code 3\)/, { from: mark });
          await p.waitFor(/Replacement worker \d+ \(generation 0\) is ready/, { from: mark });
          assert.equal((await request(p.url("/"))).body, "ok");
          app(dir, 'throw new Error("top-level boom");');
          mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor(/Reload failed — continuing with previous version: .*top-level boom/, { from: mark });
          assert.equal((await request(p.url("/"))).body, "ok");
        },
      );
    });

    it("the installed Deno still has the header list admission reads (runtimes/deno/header-list.ts)", async () => {
      await withTempDir(async (dir) => {
        const probe = writeApp(
          dir,
          "probe.ts",
          `import { denoHeaderList } from ${JSON.stringify(`${ROOT}/runtimes/deno/header-list.ts`)};
const ac = new AbortController();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} }, (req) =>
  Response.json(denoHeaderList(req)));
const res = await fetch(\`http://127.0.0.1:\${server.addr.port}/\`, { headers: { "X-Probe": "a b" } });
console.log(JSON.stringify(await res.json()));
ac.abort();
`,
        );
        const res = spawnSync(deno.exe, ["run", "-A", probe], { encoding: "utf8", timeout: 30_000 });
        assert.equal(res.status, 0, res.stderr);
        const list = JSON.parse(res.stdout.trim()) as [string, string][] | null;
        assert.ok(
          Array.isArray(list),
          `denoHeaderList gave ${res.stdout}: this Deno lacks the inner header list (admission reads the slower Headers)`,
        );
        const byName = new Map(list.map(([n, v]) => [n.toLowerCase(), v]));
        assert.equal(byName.get("x-probe"), "a b");
        assert.ok(byName.get("host")?.startsWith("127.0.0.1:"), JSON.stringify(list));
      });
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
