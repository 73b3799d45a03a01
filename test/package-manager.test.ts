/**
 * The npx trap, tried for real: pounce started by `npm start` (Node and Deno rows) or `bun run
 * start` (Bun row). pounce says at start that the package manager will not pass SIGHUP on and what
 * to signal instead; `kill -HUP <package manager>` kills the package manager, and pounce, instead of
 * running on unseen with the old code, shuts down gracefully (exit 0, nothing left behind).
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort, request, versionedApp, waitUntil, withTempDir } from "./_harness.ts";
import { ROOT, selectedRuntimes } from "./_runtimes.ts";

const BUN = join(ROOT, "node_modules/.bin/bun");

function liveInGroup(pgid: number): string[] {
  const out = execFileSync("ps", ["-e", "-o", "pgid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[0]) === pgid && !(f[1] ?? "").startsWith("Z"))
    .map((f) => f.slice(2).join(" "));
}

async function output(proc: ChildProcess, text: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  let m: RegExpExecArray | null = null;
  await waitUntil(
    `${pattern} in the output:\n${text()}`,
    () => (m = pattern.exec(text())) !== null || proc.exitCode !== null,
    timeoutMs,
  );
  assert.ok(m, `${pattern} never appeared:\n${text()}`);
  return m;
}

/** Start `script` through the package manager; its output, exit, and the process group to clean up. */
async function runScript(manager: "npm" | "bun", dir: string, script: string[]) {
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "app", private: true, scripts: { start: script.map((a) => JSON.stringify(a)).join(" ") } }),
  );
  const [cmd, args] = manager === "bun" ? [BUN, ["run", "start"]] : ["npm", ["start", "--silent"]];
  const proc = spawn(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const run = { proc, text: "", exited: new Promise<void>((r) => proc.once("exit", () => r())) };
  proc.stdout?.on("data", (d) => (run.text += d));
  proc.stderr?.on("data", (d) => (run.text += d));
  return run;
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: started by a package manager`, () => {
    const manager = rt.name === "bun" ? "bun" : "npm";
    const title =
      manager === "npm"
        ? "under `npm start`: warns at start; when npm dies of SIGHUP, pounce shuts down gracefully instead of running on unseen"
        : "under `bun run start`: no warning — bun passes SIGHUP and SIGTERM on, and pounce reloads and stops";
    it(title, async () => {
      await withTempDir(async (dir) => {
        const port = await freePort();
        const run = await runScript(manager, dir, rt.argv([versionedApp(dir, "v1"), "--port", String(port)]));
        const { proc } = run;
        const pm = proc.pid as number;
        try {
          const pid = Number((await output(proc, () => run.text, /Starting pounce .*, pid (\d+)\n/))[1]);
          await output(proc, () => run.text, /Ready to accept connections/);
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v1");
          if (manager === "npm") {
            assert.match(
              run.text,
              new RegExp(
                `pounce was started by npm .*does not pass SIGHUP on, so a reload must signal pounce itself \\(pid ${pid}, or --pid-file\\)`,
              ),
            );
            process.kill(pm, "SIGHUP"); // what an operator does to "the server" npm started
            await run.exited;
            await output(
              proc,
              () => run.text,
              new RegExp(`npm \\(pid ${pm}\\), which started pounce, has exited — initiating shutdown`),
              5_000,
            );
            assert.doesNotMatch(run.text, /Received SIGHUP/, "the SIGHUP never reached pounce (the trap is real)");
          } else {
            assert.doesNotMatch(run.text, /pounce was started by/);
            versionedApp(dir, "v2");
            process.kill(pm, "SIGHUP");
            await output(proc, () => run.text, /Graceful reload complete/);
            assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v2");
            process.kill(pm, "SIGTERM");
          }
          await output(proc, () => run.text, /All workers stopped/, 15_000);
          await run.exited;
          // (a zombie is no process: an orphaned shell that exited under an init that does not reap)
          await waitUntil("nothing of the process group is left", () => liveInGroup(pm).length === 0, 10_000);
        } finally {
          try {
            process.kill(-pm, "SIGKILL");
          } catch {}
        }
      });
    });
  });
}
