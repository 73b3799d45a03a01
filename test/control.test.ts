/**
 * `pounce reload`, `stop` and `status` against a real server: reload waits until the new code
 * serves every new connection (or fails with the reason), stop returns once the server exited,
 * status reports the state file; stale and foreign pid files are refused and never signalled.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { WorkerEntry } from "../src/control/state.ts";
import { request, waitUntil, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { runPounce } from "./_run.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** Every reply on fresh connections (each one is a new connection: agent false). */
async function bodies(url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await request(url)).body);
  return out;
}

/**
 * An app whose body names its version, and whose /hold answers only once the file `release`
 * exists in its folder (so a test keeps a request in flight exactly as long as it needs to).
 */
function holdApp(dir: string, version: string, extra = ""): string {
  return writeApp(
    dir,
    "app.ts",
    `import { existsSync } from "node:fs";
${extra}
const VERSION: string = ${JSON.stringify(version)};
export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === "/hold") {
      console.log("held request started");
      while (!existsSync(${JSON.stringify(join(dir, "release"))})) await new Promise((r) => setTimeout(r, 20));
    }
    return new Response(VERSION);
  },
};
`,
  );
}

const readState = (pidFile: string) => JSON.parse(readFileSync(`${pidFile}.state.json`, "utf8"));

const oneLine = (text: string) => {
  const lines = text.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line:\n${text}`);
  assert.doesNotMatch(text, /\n\s+at .+:\d+/);
  return lines[0] as string;
};

function startSleeper(): Promise<ChildProcess> {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve(child));
    child.once("error", reject);
  });
}

for (const rt of selectedRuntimes()) {
  // Independent servers and folders: two cases at a time (none depends on timing).
  describe(`${rt.name}: control commands`, { concurrency: 2 }, () => {
    it("status, reload (new code serves on return), a failing reload, reload --wait-drained, stop", async () => {
      let pidFile = "";
      await withPounce(
        rt,
        (dir) => [holdApp(dir, "v1"), "--workers", "2", "--pid-file", (pidFile = join(dir, "pounce.pid"))],
        async (p, dir) => {
          // status --json: the documented layout.
          const js = await runPounce(rt, ["status", "--pid-file", pidFile, "--json"]);
          assert.equal(js.code, 0, js.stderr);
          const st = JSON.parse(js.stdout);
          assert.equal(st.version, 1);
          assert.equal(st.pid, p.pid);
          assert.equal(st.phase, "running");
          assert.equal(st.generation, 0);
          assert.equal(st.url, `http://127.0.0.1:${p.port}`);
          assert.match(st.runtime, /^(node|bun|deno) /);
          assert.equal(st.reloads_requested, 0);
          assert.equal(st.last_reload, null);
          assert.equal(typeof st.uptime_seconds, "number");
          assert.match(st.start_time, /^\d+$/);
          assert.equal(st.workers.length, 2);
          const group = p.groupPids();
          for (const w of st.workers) {
            assert.equal(w.generation, 0);
            assert.equal(w.state, "ready");
            assert.equal(w.in_flight, 0);
            assert.ok(group.includes(w.pid), `worker pid ${w.pid} is not one of pounce's processes ${group}`);
          }
          const text = await runPounce(rt, ["status", "--pid-file", pidFile]);
          assert.equal(text.code, 0, text.stderr);
          assert.match(text.stdout, new RegExp(`^pounce running, pid ${p.pid}, up \\d+s\\n`));
          assert.match(text.stdout, /generation {3}0\n/);
          assert.match(text.stdout, new RegExp(`\\n {4}${st.workers[0].id} +${st.workers[0].pid} +0 +ready +0\\n`));
          assert.match(text.stdout, /last reload {2}none/);

          // A request in flight shows in the worker's row (reported within a second).
          const slowDone = { at: 0 };
          const mark = p.output.length;
          const slow = request(p.url("/hold"))
            .catch((e: Error) => e)
            .then((reply) => {
              slowDone.at = Date.now();
              return reply;
            });
          await p.waitFor("held request started", { from: mark, timeoutMs: 10_000 });
          const busy = () => readState(pidFile).workers.find((w: { in_flight: number }) => w.in_flight === 1);
          await waitUntil("a worker reporting 1 request in flight", () => busy() !== undefined, 5_000);
          const busyText = await runPounce(rt, ["status", "--pid-file", pidFile]);
          assert.match(busyText.stdout, new RegExp(`\\n {4}${busy().id} +${busy().pid} +0 +ready +1\\n`));

          // reload: returns once every new connection reaches generation 1, while the old worker
          // still answers the request it has.
          holdApp(dir, "v2");
          const r1 = await runPounce(rt, ["reload", "--pid-file", pidFile]);
          assert.equal(r1.code, 0, r1.stderr + p.output);
          assert.match(r1.stdout, /^Reloaded: generation 1 serves every new connection \(\d+/);
          assert.equal(slowDone.at, 0, "reload returned only after the old worker had drained");
          assert.deepEqual(await bodies(p.url(), 8), Array(8).fill("v2"));
          assert.ok(p.output.includes("Cut-over complete: every new connection goes to generation 1"), p.output);
          const mid = JSON.parse((await runPounce(rt, ["status", "--pid-file", pidFile, "--json"])).stdout);
          assert.equal(mid.generation, 1);
          assert.equal(mid.last_reload.outcome, "cut-over");
          assert.ok(
            mid.workers.some((w: WorkerEntry) => w.generation === 0 && w.state === "draining" && w.in_flight === 1),
            JSON.stringify(mid.workers),
          );
          writeFileSync(join(dir, "release"), "");
          const slowReply = await slow;
          assert.ok(!(slowReply instanceof Error), String(slowReply));
          assert.equal(slowReply?.body, "v1");

          // A broken deploy: exit 1 with the reason; v2 keeps serving.
          writeApp(dir, "app.ts", "export default { fetch( {\n");
          const bad = await runPounce(rt, ["reload", "--pid-file", pidFile]);
          assert.equal(bad.code, 1, bad.stdout + bad.stderr);
          assert.match(oneLine(bad.stderr), /^pounce: error: reload failed — generation 1 keeps serving: failed to import/);
          assert.equal((await request(p.url())).body, "v2");

          // --wait-drained: returns after "Graceful reload complete".
          holdApp(dir, "v3");
          const r3 = await runPounce(rt, ["reload", "--pid-file", pidFile, "--wait-drained"]);
          assert.equal(r3.code, 0, r3.stderr + p.output);
          assert.match(r3.stdout, /^Reloaded: generation 3 serving, old workers drained/);
          assert.ok(p.output.includes("Graceful reload complete. Running 2 worker(s) on generation 3"), p.output);
          assert.deepEqual(await bodies(p.url(), 4), Array(4).fill("v3"));
          const after = JSON.parse((await runPounce(rt, ["status", "--pid-file", pidFile, "--json"])).stdout);
          assert.equal(after.generation, 3);
          assert.equal(after.reloads_requested, 3);
          assert.equal(after.last_reload.outcome, "complete");
          assert.equal(after.last_reload.number, 3);
          assert.ok(after.last_reload.cutover_ms <= after.last_reload.duration_ms);
          assert.ok(after.workers.every((w: { generation: number }) => w.generation === 3));

          // --pid N: this server got its pid file as a flag, which its title hid: no state file
          // to be found, so status refuses; stop works without one (it waits on the process table).
          const byPid = await runPounce(rt, ["status", "--pid", String(p.pid)]);
          assert.equal(byPid.code, 1, byPid.stdout + byPid.stderr);
          assert.match(
            oneLine(byPid.stderr),
            new RegExp(`no state file for pounce pid ${p.pid} \\(started without --pid-file\\)`),
          );
          // stop: returns once the server has exited (the fixture then checks its exit code 0).
          const stop = await runPounce(rt, ["stop", "--pid", String(p.pid)]);
          assert.equal(stop.code, 0, stop.stderr + p.output);
          assert.match(stop.stdout, new RegExp(`^Stopped pounce \\(pid ${p.pid}\\)`));
          assert.ok(p.output.includes("All workers stopped"), p.output);
          const exit = await p.exited(5_000);
          assert.equal(exit.code, 0);
          const last = readState(pidFile);
          assert.equal(last.phase, "exited");
          assert.equal(last.exit_code, 0);
          const down = await runPounce(rt, ["status", "--pid-file", pidFile]);
          assert.equal(down.code, 3, down.stdout + down.stderr);
          assert.match(oneLine(down.stderr), /^pounce is not running: no pid file .* \(it last exited with code 0, started /);
        },
      );
    });

    it("reload --timeout gives up (exit 1); on a server shutting down, reload refuses and stop only waits", async () => {
      let pidFile = "";
      await withPounce(
        rt,
        (dir) => [holdApp(dir, "v1"), "--pid-file", (pidFile = join(dir, "pounce.pid"))],
        async (p, dir) => {
          // v2 takes 2 s to import (blocking, no CPU burnt): longer than --timeout 0.5.
          holdApp(dir, "v2", "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);");
          const slow = await runPounce(rt, ["reload", "--pid-file", pidFile, "--timeout", "0.5"]);
          assert.equal(slow.code, 1, slow.stdout + slow.stderr);
          assert.match(oneLine(slow.stderr), /^pounce: error: the new generation did not take over within --timeout 0\.5s/);
          await p.waitFor("Graceful reload complete. Running 1 worker(s) on generation 1", { timeoutMs: 20_000 });

          const mark = p.output.length;
          const held = request(p.url("/hold")).catch((e: Error) => e);
          await p.waitFor("held request started", { from: mark, timeoutMs: 10_000 });
          p.signal("SIGTERM");
          await p.waitFor("initiating shutdown", { from: mark });
          await waitUntil("the state file to say stopping", () => readState(pidFile).phase === "stopping", 5_000);
          const refused = await runPounce(rt, ["reload", "--pid-file", pidFile]);
          assert.equal(refused.code, 1, refused.stdout + refused.stderr);
          assert.match(oneLine(refused.stderr), new RegExp(`^pounce: error: pounce \\(pid ${p.pid}\\) is shutting down`));
          // stop must not send a second SIGTERM (that would force the exit, code 1): it waits.
          let waiting: () => void = () => {};
          const isWaiting = new Promise<void>((r) => (waiting = r));
          const stopping = runPounce(rt, ["stop", "--pid-file", pidFile], {
            onStdout: (text) => text.includes("already shutting down — waiting") && waiting(),
          });
          await isWaiting;
          assert.equal(p.hasExited, false);
          writeFileSync(join(dir, "release"), "");
          const stop = await stopping;
          assert.equal(stop.code, 0, stop.stdout + stop.stderr + p.output);
          assert.match(stop.stdout, /is already shutting down — waiting\nStopped pounce/);
          assert.equal(((await held) as { body?: string }).body, "v2");
          assert.equal((await p.exited(5_000)).code, 0);
          assert.ok(!p.output.includes("Received second SIGTERM"), p.output);
        },
      );
    });

    it("stop exits 1 when the server exits with another code (a second SIGTERM cut its drain short)", async () => {
      let pidFile = "";
      await withPounce(
        rt,
        (dir) => [holdApp(dir, "v1"), "--pid-file", (pidFile = join(dir, "pounce.pid"))],
        { exitCode: 1 },
        async (p) => {
          const held = request(p.url("/hold")).catch((e: Error) => e);
          await p.waitFor("held request started", { timeoutMs: 10_000 });
          const stopping = runPounce(rt, ["stop", "--pid-file", pidFile]);
          await p.waitFor("initiating shutdown");
          // The held request keeps the drain going; a second SIGTERM from elsewhere forces the exit.
          await waitUntil("the state file to say stopping", () => readState(pidFile).phase === "stopping", 5_000);
          p.signal("SIGTERM");
          const stop = await stopping;
          assert.equal(stop.code, 1, stop.stdout + stop.stderr + p.output);
          assert.match(oneLine(stop.stderr), new RegExp(`^pounce: error: pounce \\(pid ${p.pid}\\) exited with code 1$`));
          await held;
        },
      );
    });

    it("--pid N finds the state file through POUNCE_PID_FILE in the server's environment", async () => {
      await withTempDir((dir) =>
        // A relative pid file, resolved against the server's working directory.
        withPounce(
          rt,
          [holdApp(dir, "v1"), "--workers", "1"],
          { dir, cwd: dir, env: { POUNCE_PID_FILE: "pounce.pid" } },
          async (p) => {
            const st = await runPounce(rt, ["status", "--pid", String(p.pid), "--json"]);
            assert.equal(st.code, 0, st.stderr);
            assert.equal(JSON.parse(st.stdout).pid, p.pid);
            assert.equal(JSON.parse(readFileSync(join(dir, "pounce.pid.state.json"), "utf8")).pid, p.pid);
            const stop = await runPounce(rt, ["stop", "--pid", String(p.pid)]);
            assert.equal(stop.code, 0, stop.stderr + p.output);
            assert.equal((await p.exited(5_000)).code, 0);
          },
        ),
      );
    });

    it("refuses a stale pid file and one whose pid is now another program, and signals nobody", async () => {
      await withTempDir(async (dir) => {
        const pidFile = join(dir, "pounce.pid");
        // Stale: the process is gone.
        const gone = spawn("true");
        await new Promise((r) => gone.once("exit", r));
        writeFileSync(pidFile, `${gone.pid}\n`);
        for (const cmd of ["reload", "stop", "status"]) {
          const r = await runPounce(rt, [cmd, "--pid-file", pidFile]);
          assert.equal(r.code, 1, `${cmd}: ${r.stdout}${r.stderr}`);
          assert.match(oneLine(r.stderr), new RegExp(`^pounce: error: pid file .*: no process ${gone.pid} is running`));
        }
        // A zombie (exited, never reaped by its parent) is gone too.
        // The child outlives sh, whose exec'd `sleep 60` never reaps it.
        const parent = spawn("sh", ["-c", "sleep 0.3 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
        try {
          const zombie = Number(await new Promise<string>((r) => parent.stdout.once("data", (d) => r(String(d)))));
          const stat = () => (existsSync(`/proc/${zombie}/stat`) ? readFileSync(`/proc/${zombie}/stat`, "utf8") : "");
          await waitUntil("the child to become a zombie", () => /^\S+ \(.*\) Z/.test(stat()), 5_000);
          writeFileSync(pidFile, `${zombie}\n`);
          const r = await runPounce(rt, ["stop", "--pid-file", pidFile]);
          assert.equal(r.code, 1, r.stdout + r.stderr);
          assert.match(oneLine(r.stderr), new RegExp(`no process ${zombie} is running`));
        } finally {
          parent.kill("SIGKILL");
        }
        // Foreign: the pid now belongs to another program (no state file: its command line says so;
        // a state file from pounce: its start time says so).
        const sleeper = await startSleeper();
        try {
          writeFileSync(pidFile, `${sleeper.pid}\n`);
          for (const cmd of ["reload", "stop", "status"]) {
            const r = await runPounce(rt, [cmd, "--pid-file", pidFile]);
            assert.equal(r.code, 1, `${cmd}: ${r.stdout}${r.stderr}`);
            assert.match(oneLine(r.stderr), new RegExp(`pid ${sleeper.pid} is now another program \\(sleep 60, not pounce\\)`));
          }
          writeFileSync(
            `${pidFile}.state.json`,
            JSON.stringify({ version: 1, pid: sleeper.pid, start_time: "1", phase: "running", reloads_requested: 0 }),
          );
          const r = await runPounce(rt, ["stop", "--pid-file", pidFile]);
          assert.equal(r.code, 1, r.stdout + r.stderr);
          assert.match(oneLine(r.stderr), /is now another program \(sleep 60, started after the pounce that wrote it\)/);
          const byPid = await runPounce(rt, ["reload", "--pid", String(sleeper.pid)]);
          assert.equal(byPid.code, 1, byPid.stdout + byPid.stderr);
          assert.match(oneLine(byPid.stderr), /is now another program/);
          assert.equal(sleeper.exitCode, null, "the foreign process was signalled");
          assert.equal(sleeper.signalCode, null, "the foreign process was signalled");
          assert.equal(readFileSync(pidFile, "utf8").trim(), String(sleeper.pid));
        } finally {
          sleeper.kill("SIGKILL");
        }
      });
    });
  });
}
