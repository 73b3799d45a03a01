/**
 * pounce as a container's PID 1: in a new PID namespace (`unshare --pid --fork --mount-proc`, what
 * `docker run` without `--init` gives), it takes the signals (PID 1 gets none it has no handler
 * for), reloads, replaces a killed worker and reaps every worker that exits — no zombie is left.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { cleanup, request, tempDir, versionedApp, waitUntil } from "./_harness.ts";
import { Pounce } from "./_pounce.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

/** Direct children of `pid` (host PIDs) with their `ps` state letters. */
function children(pid: number): Array<{ pid: number; state: string }> {
  const out = execFileSync("ps", ["-o", "pid=,stat=", "--ppid", String(pid)], { encoding: "utf8" }).trim();
  return out === ""
    ? []
    : out.split("\n").map((l) => {
        const [p, state] = l.trim().split(/\s+/);
        return { pid: Number(p), state: state ?? "" };
      });
}

function inNewPidNamespace(rt: Runtime): Runtime {
  return { ...rt, argv: (a) => ["unshare", "--pid", "--fork", "--mount-proc", ...rt.argv(a)] };
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: PID 1 in a container`, () => {
    it("takes SIGHUP and SIGTERM as PID 1, replaces a SIGKILLed worker, leaves no zombie, exits 0", async () => {
      const dir = tempDir();
      const p = await Pounce.start(inNewPidNamespace(rt), [versionedApp(dir, "v1"), "--workers", "2"]);
      try {
        assert.match(p.output, /, pid 1\n/, "pounce is PID 1 in its namespace");
        const [supervisor] = children(p.pid).map((c) => c.pid); // unshare's child: pounce, seen from the host
        assert.ok(supervisor, "pounce's host pid");
        assert.equal((await request(p.url("/"))).body, "v1");

        versionedApp(dir, "v2");
        const mark = p.output.length;
        process.kill(supervisor, "SIGHUP");
        await p.waitFor("Graceful reload complete", { from: mark });
        assert.equal((await request(p.url("/"))).body, "v2");

        const worker = children(supervisor).find((c) => !c.state.startsWith("Z"));
        assert.ok(worker, "a live worker");
        const killMark = p.output.length;
        process.kill(worker.pid, "SIGKILL");
        await p.waitFor(/Worker \d+ \(generation 1\) died/, { from: killMark });
        await p.waitFor(/Replacement worker \d+ \(generation 1\) is ready/, { from: killMark });
        // The two old workers drained and exited, one worker was killed: every exit is reaped.
        await waitUntil("no zombie child of PID 1 and two live workers", () => {
          const kids = children(supervisor);
          return kids.length === 2 && kids.every((c) => !c.state.startsWith("Z"));
        });
        assert.equal((await request(p.url("/"))).body, "v2");

        process.kill(supervisor, "SIGTERM");
        assert.deepEqual(await p.exited(15_000), { code: 0, signal: null });
        assert.match(p.output, /All workers stopped/);
      } finally {
        p.kill();
        cleanup(dir);
      }
    });
  });
}
