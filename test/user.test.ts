/**
 * --user / --group (issue 14): the app runs as that user in every worker, across reloads; the
 * supervisor stays root. App code run as root without --user logs a warning. A port below 1024 is
 * refused where the workers bind it themselves (Bun, Deno) and served where the supervisor binds it
 * (Node's cluster primary). The suite runs as root, so `nobody` is the user.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { request, versionedApp, waitUntil, withPounce, withTempDir } from "./_harness.ts";
import { processesInGroup } from "./_pounce.ts";
import { runPounce } from "./_run.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
const gidOf = (pid: number): number => Number(/^Gid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
const NOBODY = Number(/^nobody:[^:]*:(\d+):(\d+):/m.exec(readFileSync("/etc/passwd", "utf8"))?.[1]);
const NOGROUP = Number(/^nobody:[^:]*:(\d+):(\d+):/m.exec(readFileSync("/etc/passwd", "utf8"))?.[2]);

/** A free port below 1024 (bound and released; nothing of ours listens there). */
async function freeLowPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 900 + Math.floor(Math.random() * 120);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error("no free port below 1024");
}

const isRoot = process.geteuid?.() === 0;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: --user / --group`, () => {
    it("the suite runs as root (what these cases need)", () => {
      assert.ok(isRoot, "run the suite as root: --user needs it");
      assert.ok(Number.isInteger(NOBODY) && NOBODY !== 0, "no nobody user");
    });

    it("--user nobody: every worker runs as nobody, across a reload; the supervisor stays root", async () => {
      await withPounce(
        rt,
        (dir) => {
          chmodSync(dir, 0o755); // nobody must read the app
          return [versionedApp(dir, "v1"), "--workers", "2", "--user", "nobody"];
        },
        async (p, dir) => {
          assert.match(p.output, new RegExp(`Workers run as nobody \\(uid ${NOBODY}, gid ${NOGROUP}\\)`));
          assert.doesNotMatch(p.output, /Running the app as root/);
          const first = p.groupPids();
          assert.equal(first.length, 2);
          for (const pid of first) {
            assert.equal(uidOf(pid), NOBODY, `worker ${pid} uid`);
            assert.equal(gidOf(pid), NOGROUP, `worker ${pid} gid`);
            assert.match(readFileSync(`/proc/${pid}/status`, "utf8"), /^Groups:\s*$/m, `worker ${pid} kept supplementary groups`);
          }
          assert.equal(uidOf(p.pid), 0, "the supervisor dropped root");
          assert.equal((await request(p.url("/"))).body, "v1");
          const mark = p.output.length;
          versionedApp(dir, "v2");
          p.signal("SIGHUP");
          await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 30_000 });
          await waitUntil("the old workers are gone", () => p.groupPids().every((pid) => !first.includes(pid)), 15_000);
          const second = p.groupPids();
          assert.equal(second.length, 2);
          for (const pid of second) assert.equal(uidOf(pid), NOBODY, `reloaded worker ${pid} uid`);
          assert.equal((await request(p.url("/"))).body, "v2");
        },
      );
    });

    it("--group overrides the user's primary group", async () => {
      await withPounce(
        rt,
        (dir) => {
          chmodSync(dir, 0o755);
          return [versionedApp(dir, "v1"), "--workers", "1", "--user", "nobody", "--group", "0"];
        },
        async (p) => {
          for (const pid of p.groupPids()) {
            assert.equal(uidOf(pid), NOBODY);
            assert.equal(gidOf(pid), 0);
          }
        },
      );
    });

    it("as root without --user: a warning says the app runs as root", async () => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "1"],
        async (p) => {
          assert.match(p.output, /\[WARN\] Running the app as root: .* start with --user/);
          for (const pid of p.groupPids()) assert.equal(uidOf(pid), 0);
        },
      );
    });

    it("an unknown user is refused with one line, exit 2", async () => {
      const out = await withTempDir((dir) => runPounce(rt, [versionedApp(dir, "v1"), "--user", "no-such-user-here"]));
      assert.equal(out.code, 2, out.stderr);
      assert.match(out.stderr, /^pounce: error: --user no-such-user-here: no such user in \/etc\/passwd/m);
      assert.doesNotMatch(out.stderr, /\n\s+at /, "a stack trace");
    });

    const workersBind = rt.name === "bun" || rt.name === "deno";
    it(
      workersBind
        ? "a port below 1024 with --user is refused (each worker binds it itself), exit 2"
        : "a port below 1024 with --user is served (the cluster primary binds it, as root)",
      async () => {
        await withTempDir((dir) => lowPort(dir));
      },
    );
    const lowPort = async (dir: string): Promise<void> => {
      chmodSync(dir, 0o755);
      const port = await freeLowPort();
      const args = [versionedApp(dir, "v1"), "--user", "nobody", "--port", String(port)];
      if (workersBind) {
        const out = await runPounce(rt, args);
        assert.equal(out.code, 2, out.stderr);
        assert.match(out.stderr, new RegExp(`pounce: error: --port ${port} with --user nobody: .*CAP_NET_BIND_SERVICE`));
        return;
      }
      const argv = rt.argv(args);
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], detached: true });
      let text = "";
      child.stderr?.on("data", (d) => (text += d));
      child.stdout?.on("data", (d) => (text += d));
      try {
        await waitUntil("ready", () => text.includes("Ready to accept connections"), 30_000);
        assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v1");
        for (const w of processesInGroup(child.pid as number).filter((x) => x.pid !== child.pid))
          assert.equal(uidOf(w.pid), NOBODY);
      } finally {
        process.kill(-(child.pid as number), "SIGKILL");
      }
    };
  });
}
