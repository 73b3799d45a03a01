/**
 * `pounce wrap -- <command>`: one stable PID in front of any server. Under load (keep-alive and
 * connection-per-request) with SIGHUPs: 0 failed requests, the wrapper's PID unchanged, the new
 * release (a `current` symlink flip) served. A new copy that crashes at start leaves the old one
 * serving; SIGTERM answers what is in flight and leaves nothing behind. The cases that depend on
 * the wrapper's own runtime (the held --listen socket, signals, child processes) run on every row;
 * the others on the first row only.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import {
  freePort,
  type LoadResult,
  noneLeft,
  Pounce,
  processesInGroup,
  request,
  type StartOptions,
  startLoad,
  versionedApp,
  waitUntil,
  withTempDir,
} from "./_harness.ts";
import { runPounce } from "./_run.ts";
import { ROOT, type Runtime, selectedRuntimes } from "./_runtimes.ts";

const FIXTURES = resolve(ROOT, "test/fixtures/wrap");
const SERVER = join(FIXTURES, "fd-server.mjs");
/** The wrapped servers run on the Node that runs the tests: what they are written in is not the point. */
const NODE = process.execPath;
const RELOADS = 3;
const GUNICORN = "/usr/bin/gunicorn";
/** Bun and Deno receive unix datagrams through FFI; Node has no such socket (README, pounce wrap). */
const RECEIVES_DATAGRAMS = (rt: Runtime) => rt.name === "bun" || rt.name === "deno";

/** dir/releases/<v>/VERSION and dir/current -> releases/<v>; returns dir/current. */
function release(dir: string, version: string, opts: { fail?: boolean } = {}): string {
  const rel = join(dir, "releases", version);
  mkdirSync(rel, { recursive: true });
  writeFileSync(join(rel, "VERSION"), version);
  copyFileSync(join(FIXTURES, "hello_wsgi.py"), join(rel, "hello_wsgi.py"));
  versionedApp(rel, version);
  if (opts.fail) writeFileSync(join(rel, "FAIL"), "");
  const current = join(dir, "current");
  rmSync(`${current}.tmp`, { force: true });
  symlinkSync(join("releases", version), `${current}.tmp`);
  // rename over: the flip is atomic, as a deploy tool does it
  renameSync(`${current}.tmp`, current);
  return current;
}

/** Start `pounce wrap <args>` in `cwd` (given as $PWD too, symlinks and all) and wait for its first copy. */
async function startWrap(rt: Runtime, args: string[], cwd: string, opts: StartOptions = {}): Promise<Pounce> {
  // Pounce.start appends `--port N` for serve; after `--` it only reaches the wrapped command, which ignores it.
  const p = await Pounce.start(rt, ["wrap", ...args], { ...opts, cwd, env: { PWD: cwd, ...opts.env }, ready: false });
  try {
    await p.waitFor("Ready — copy 0", { timeoutMs: 30_000 });
  } catch (err) {
    p.kill();
    throw err;
  }
  return p;
}

/** Every copy's pid, from the "Started copy N (pid X)" lines (text or JSON log). */
function copyPids(p: Pounce): number[] {
  return [...p.output.matchAll(/Started copy \d+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

/** SIGTERM the wrapper (unless it is gone), assert `code` (null: not checked), and that no copy or anything in a copy's group is left. */
async function stopWrap(p: Pounce, code: number | null = 0): Promise<void> {
  try {
    if (!p.hasExited) p.signal("SIGTERM");
    const exit = await p.exited(20_000);
    if (code !== null) assert.equal(exit.code, code, `wrapper exit ${JSON.stringify(exit)}. Output:\n${p.output}`);
    await noneLeft(p);
    await waitUntil(
      "every copy and its process group are gone",
      () => copyPids(p).every((pid) => processesInGroup(pid).length === 0 && !alive(pid)),
      5_000,
    );
  } finally {
    p.kill();
    for (const pid of copyPids(p)) killGroup(pid);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {}
}

async function withWrap(
  rt: Runtime,
  args: (dir: string) => string[],
  body: (p: Pounce, dir: string) => Promise<void>,
  opts: { cwd?: (dir: string) => string; exitCode?: number } = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const cwd = opts.cwd?.(dir) ?? release(dir, "v1");
    const p = await startWrap(rt, args(dir), cwd);
    try {
      await body(p, dir);
    } catch (err) {
      p.kill();
      for (const pid of copyPids(p)) killGroup(pid);
      throw err;
    }
    await stopWrap(p, opts.exitCode);
  });
}

function assertNoFailures(result: LoadResult): void {
  assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
  assert.equal(result.failed, 0);
}

/** SIGHUP `count` times back to back, each after the previous reload completed, flipping `current` first. */
async function deploys(p: Pounce, dir: string, from: number, count: number, pidFile: string): Promise<number> {
  let v = from;
  for (let i = 0; i < count; i++) {
    v++;
    release(dir, `v${v}`);
    const mark = p.output.length;
    p.signal("SIGHUP");
    await p.waitFor("Reload complete", { from: mark, timeoutMs: 30_000 });
    assert.equal(readFileSync(pidFile, "utf8").trim(), String(p.pid), "the pid file names the wrapper");
    assert.ok(!p.hasExited && alive(p.pid), "the wrapper keeps running under its pid");
  }
  return v;
}

const rows = selectedRuntimes();

for (const rt of rows) {
  describe(`${rt.name}: pounce wrap`, () => {
    it("--listen: a plain Node server on fd 3, load and SIGHUPs: 0 failed, stable PID, the flipped release serves", async (t) => {
      const port = await freePort();
      await withWrap(
        rt,
        (dir) => [
          "--listen",
          `127.0.0.1:${port}`,
          "--ready-file",
          join(dir, "ready"),
          "--pid-file",
          join(dir, "wrap.pid"),
          "--",
          NODE,
          SERVER,
          "--ready-file",
          join(dir, "ready"),
        ],
        async (p, dir) => {
          const running = startLoad(port, { keepAlive: 8, perRequest: 2, durationMs: 60_000 });
          await running.seen(100);
          const v = await deploys(p, dir, 1, RELOADS, join(dir, "wrap.pid"));
          const tail = running.result.ok;
          await running.until("200 responses after the last reload", (r) => r.ok >= tail + 200);
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed, ${RELOADS} reloads`);
          assertNoFailures(result);
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, `v${v}`);
          assert.equal(p.count("Reload complete"), RELOADS);
          assert.match(p.output, /Copy \d+ \(pid \d+\) is ready: ready file .* touched/);
          assert.match(p.output, new RegExp(`Listening on 127\\.0\\.0\\.1:${port} for every copy`));
        },
      );
    });

    it("pounce reload / status / stop work on a wrapper: reload returns once the new copy serves, stop once it exited", async () => {
      const port = await freePort();
      await withWrap(
        rt,
        (dir) => [
          "--listen",
          `127.0.0.1:${port}`,
          "--ready-file",
          join(dir, "ready"),
          "--pid-file",
          join(dir, "wrap.pid"),
          "--",
          NODE,
          SERVER,
          "--ready-file",
          join(dir, "ready"),
        ],
        async (p, dir) => {
          const pidFile = join(dir, "wrap.pid");
          release(dir, "v2");
          const reloaded = await runPounce(rt, ["reload", "--pid-file", pidFile, "--timeout", "30"]);
          assert.equal(reloaded.code, 0, reloaded.stderr);
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v2", "reload returned once the new copy serves");
          await p.waitFor("Reload complete");
          const status = await runPounce(rt, ["status", "--pid-file", pidFile, "--json"]);
          assert.equal(status.code, 0, status.stderr);
          const state = JSON.parse(status.stdout) as { pid: number; generation: number; last_reload: { outcome: string } };
          assert.equal(state.pid, p.pid);
          assert.equal(state.generation, 1);
          assert.equal(state.last_reload.outcome, "complete");
          const stopped = await runPounce(rt, ["stop", "--pid-file", pidFile, "--timeout", "30"]);
          assert.equal(stopped.code, 0, stopped.stderr);
          assert.ok(p.hasExited || (await p.exited()).code === 0);
        },
      );
    });

    it("pounce serve under --listen (blue/green of whole supervisors): load and SIGHUPs, 0 failed, stable PID", async (t) => {
      const port = await freePort();
      const notify = RECEIVES_DATAGRAMS(rt);
      await withWrap(
        rt,
        (dir) => [
          "--listen",
          `127.0.0.1:${port}`,
          // serve says READY=1 where the wrapper can hear it, and writes its pid file once ready everywhere.
          ...(notify ? ["--ready", "notify"] : ["--ready-file", join(dir, "serve.pid")]),
          "--pid-file",
          join(dir, "wrap.pid"),
          "--",
          "/usr/bin/node",
          join(ROOT, "bin/pounce.mjs"),
          "serve",
          "app.ts",
          "--workers",
          "2",
          "--pid-file",
          join(dir, "serve.pid"),
        ],
        async (p, dir) => {
          const running = startLoad(port, { keepAlive: 8, perRequest: 2, durationMs: 60_000 });
          await running.seen(100);
          const v = await deploys(p, dir, 1, 2, join(dir, "wrap.pid"));
          const tail = running.result.ok;
          await running.until("200 responses after the last reload", (r) => r.ok >= tail + 200);
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed, 2 reloads`);
          assertNoFailures(result);
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, `v${v}`);
          assert.match(p.output, /Serving on the socket systemd passed \(fd 3\)/, "serve took fd 3");
          if (notify) assert.equal(p.count("is ready: READY=1 on its NOTIFY_SOCKET"), 3);
        },
      );
    });

    it("a new copy that crashes at start: the reload is aborted with its status and output, the old one serves", async () => {
      const port = await freePort();
      await withWrap(
        rt,
        // A copy alive at the end of its warm-up counts as ready: 1.5 s, so that a loaded machine's
        // slow Node boot does not outlast it before the bad copy gets to its exit.
        () => ["--listen", `127.0.0.1:${port}`, "--warmup", "1.5", "--", NODE, SERVER],
        async (p, dir) => {
          release(dir, "bad", { fail: true });
          const mark = p.output.length;
          p.signal("SIGHUP");
          const at = await p.waitFor("Reload failed — continuing with previous version", { from: mark });
          const line = p.output.slice(at).split("\n")[0] as string;
          assert.match(line, /new copy 1 \(pid \d+\) exited during start-up \(exit code 3\)/);
          assert.match(line, /last output: .*failing on purpose.*cannot load config/);
          for (let i = 0; i < 10; i++) assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v1");
          assert.equal(p.count("Stopping copy 0"), 0, "the old copy was not stopped");
        },
      );
    });

    it("--listen unix:PATH: one socket file for every copy, load and a SIGHUP: 0 failed; the file goes with the wrapper", async (t) => {
      await withTempDir(async (dir) => {
        const sock = join(dir, "shared.sock");
        const p = await startWrap(rt, ["--listen", `unix:${sock}`, "--warmup", "0.3", "--", NODE, SERVER], release(dir, "v1"));
        try {
          const running = startLoad(0, { socketPath: sock, keepAlive: 8, perRequest: 2, durationMs: 60_000 });
          await waitUntil("the load is running", () => running.result.ok >= 100, 10_000);
          release(dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Reload complete", { from: mark, timeoutMs: 30_000 });
          const tail = running.result.ok;
          await waitUntil("200 responses after the reload", () => running.result.ok >= tail + 200, 10_000);
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed`);
          assertNoFailures(result);
          assert.equal(result.responses.at(-1)?.body, "v2");
        } finally {
          await stopWrap(p, 0);
        }
        assert.ok(!existsSync(sock), "the socket file is removed on exit");
      });
    });

    if (!RECEIVES_DATAGRAMS(rt))
      it("--ready notify: refused with one line (this runtime cannot receive unix datagrams)", () => {
        const argv = rt.argv(["wrap", "--ready", "notify", "--", NODE, SERVER]);
        const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", timeout: 20_000 });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /pounce: error: --ready notify needs to receive unix datagrams: Node cannot listen/);
        assert.doesNotMatch(r.stderr, /Started copy/);
      });
    else
      it("gunicorn with a WSGI app under --listen and --ready notify: load and SIGHUPs, 0 failed, stable PID, the flipped release serves", async (t) => {
        assert.ok(existsSync(GUNICORN), `${GUNICORN} is missing: install Debian's gunicorn package`);
        const port = await freePort();
        await withWrap(
          rt,
          (dir) => [
            "--listen",
            `127.0.0.1:${port}`,
            "--ready",
            "notify",
            "--pid-file",
            join(dir, "wrap.pid"),
            "--chdir",
            join(dir, "current"),
            "--",
            // Through sh so that the `--port N` the harness appends does not reach gunicorn.
            "/bin/sh",
            "-c",
            `exec ${GUNICORN} --workers 2 --graceful-timeout 10 hello_wsgi:application`,
            "sh",
          ],
          async (p, dir) => {
            const running = startLoad(port, { keepAlive: 8, perRequest: 2, durationMs: 60_000 });
            await running.seen(100);
            const v = await deploys(p, dir, 1, RELOADS, join(dir, "wrap.pid"));
            const tail = running.result.ok;
            await running.until("200 responses after the last reload", (r) => r.ok >= tail + 200);
            const result = await running.stop();
            t.diagnostic(`${result.ok} ok, ${result.failed} failed, ${RELOADS} reloads`);
            assertNoFailures(result);
            assert.equal((await request(`http://127.0.0.1:${port}/`)).body, `v${v}`);
            assert.ok(p.output.includes(`Listening at: http://127.0.0.1:${port}`), "gunicorn took the socket from fd 3");
            assert.equal(p.count("is ready: READY=1 on its NOTIFY_SOCKET"), RELOADS + 1);
          },
          // Started outside the release (no $PWD trick): --chdir names the symlink.
          {
            cwd: (dir) => {
              release(dir, "v1");
              return dir;
            },
          },
        );
      });

    it("speaks systemd notify itself: READY=1 (its own pid), RELOADING=1 with MONOTONIC_USEC, READY=1, STOPPING=1", async () => {
      await withTempDir(async (dir) => {
        const sock = join(dir, "systemd.sock");
        const listener = spawn("/usr/bin/python3", [join(FIXTURES, "notify-listener.py"), sock], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let heard = "";
        listener.stdout.on("data", (d) => (heard += d));
        // systemd-notify(1), Node's sender, adds MAINPID and a BARRIER=1 of its own: not the wrapper's words.
        const messages = () =>
          heard
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l) as { pid: number | null; msg: string })
            .filter((m) => m.msg !== "BARRIER=1");
        const state = (msg: string) => msg.split("\n").find((l) => /^(READY|RELOADING|STOPPING)=1$/.test(l));
        try {
          await waitUntil("the notify listener is up", () => heard.includes("listening"), 10_000);
          const p = await startWrap(
            rt,
            ["--warmup", "0.2", "--", NODE, SERVER, "--unix", join(dir, "s.sock")],
            release(dir, "v1"),
            {
              env: { NOTIFY_SOCKET: sock },
            },
          );
          try {
            await waitUntil("READY=1", () => messages().some((m) => m.msg.includes("READY=1")), 10_000);
            await p.waitFor("env NOTIFY_SOCKET=");
            assert.ok(!p.output.includes(`env NOTIFY_SOCKET=${sock}`), "the copy does not get systemd's NOTIFY_SOCKET");
            const before = process.hrtime.bigint() / 1000n;
            p.signal("SIGHUP");
            await p.waitFor("Reload complete");
            await waitUntil(
              "READY=1 after the reload",
              () => messages().filter((m) => m.msg.includes("READY=1")).length >= 2,
              10_000,
            );
            p.signal("SIGTERM");
            await waitUntil("STOPPING=1", () => messages().some((m) => m.msg.includes("STOPPING=1")), 10_000);
            const m = messages();
            assert.deepEqual(
              m.map((x) => state(x.msg)),
              ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"],
              JSON.stringify(m),
            );
            assert.ok(
              m.every((x) => x.pid === p.pid),
              `sender pids ${m.map((x) => x.pid)} (wrapper ${p.pid})`,
            );
            const usec = BigInt(/MONOTONIC_USEC=(\d+)/.exec(m[1]?.msg ?? "")?.[1] ?? "0");
            assert.ok(usec >= before && usec <= process.hrtime.bigint() / 1000n, `MONOTONIC_USEC ${usec} (asked at ${before})`);
          } finally {
            await stopWrap(p, 0);
          }
        } finally {
          listener.kill();
        }
      });
    });

    it("socket-activated itself (systemd-socket-activate): the socket systemd passed is every copy's fd 3", async () => {
      const port = await freePort();
      await withTempDir(async (dir) => {
        const activated: Runtime = {
          ...rt,
          argv: (a) => ["/usr/bin/systemd-socket-activate", "-l", `127.0.0.1:${port}`, ...rt.argv(a)],
        };
        // systemd-socket-activate passes on only a few variables ($PWD is not one): --chdir names the symlink.
        const cwd = release(dir, "v1");
        const p = await Pounce.start(activated, ["wrap", "--warmup", "0.2", "--chdir", cwd, "--", NODE, SERVER], {
          cwd,
          ready: false,
        });
        try {
          // systemd-socket-activate starts the wrapper on the first connection, which then waits in the queue.
          await waitUntil("systemd-socket-activate listens", async () => await portOpen(port), 10_000);
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v1");
          await p.waitFor("Serving on the socket systemd passed (fd 3)");
          await p.waitFor("Ready — copy 0");
          release(dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Reload complete", { from: mark, timeoutMs: 30_000 });
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v2");
        } finally {
          await stopWrap(p, 0);
        }
      });
    });

    it("--listen on an address in use: one line, exit 1, no copy started", async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const argv = rt.argv(["wrap", "--listen", `127.0.0.1:${port}`, "--", NODE, SERVER]);
        const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", timeout: 20_000 });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`pounce: error: cannot listen on 127\\.0\\.0\\.1:${port}: .*(EADDRINUSE|in use)`));
        assert.doesNotMatch(r.stderr, /Started copy/);
        assert.equal(
          r.stderr
            .trim()
            .split("\n")
            .filter((l) => !l.includes("Starting pounce")).length,
          1,
          r.stderr,
        );
      } finally {
        blocker.close();
      }
    });

    it("SIGTERM with requests in flight: every one answered, exit 0, no copy left", async () => {
      const port = await freePort();
      await withTempDir(async (dir) => {
        const cwd = release(dir, "v1");
        const p = await startWrap(rt, ["--listen", `127.0.0.1:${port}`, "--warmup", "0.2", "--", NODE, SERVER], cwd);
        try {
          const mark = p.output.length;
          const replies = Array.from({ length: 4 }, () => request(`http://127.0.0.1:${port}/?ms=1500`).catch((e: Error) => e));
          await p.waitForCount("slow request started", 4, { from: mark, timeoutMs: 10_000 });
          p.signal("SIGTERM");
          for (const r of await Promise.all(replies)) {
            assert.ok(!(r instanceof Error), `request failed: ${r}`);
            assert.equal(r.body, "v1");
          }
          await p.waitFor("All copies stopped", { from: mark });
          const pid = copyPids(p)[0];
          assert.match(
            p.output,
            new RegExp(`^v1 listening \\(pid ${pid}\\)$`, "m"),
            "the copy's output passes through unprefixed",
          );
        } finally {
          await stopWrap(p, 0);
        }
      });
    });

    it("the wrapper SIGKILLed: its guard SIGTERMs the copy, which exits; nothing is left", async () => {
      const port = await freePort();
      await withTempDir(async (dir) => {
        const p = await startWrap(
          rt,
          ["--listen", `127.0.0.1:${port}`, "--warmup", "0.2", "--shutdown-timeout", "10", "--", NODE, SERVER],
          release(dir, "v1"),
        );
        try {
          const copy = copyPids(p)[0] as number;
          assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v1");
          p.signal("SIGKILL");
          // Well before shutdown_timeout (10 s): it went on the SIGTERM, not the guard's later SIGKILL.
          await waitUntil("the orphaned copy is gone", () => !alive(copy) && processesInGroup(copy).length === 0, 5_000);
        } finally {
          await stopWrap(p, null);
        }
      });
    });
  });
}

const first = rows[0];
if (first) {
  describe(`${first.name}: pounce wrap (runtime-independent cases)`, () => {
    it("a plain Node server on a unix socket it renames over: load and SIGHUPs, 0 failed, --ready-socket", async (t) => {
      await withWrap(
        first,
        (dir) => [
          "--ready-socket",
          join(dir, "app.sock"),
          "--pid-file",
          join(dir, "wrap.pid"),
          "--",
          NODE,
          SERVER,
          "--unix",
          join(dir, "app.sock"),
        ],
        async (p, dir) => {
          const running = startLoad(0, { socketPath: join(dir, "app.sock"), keepAlive: 8, perRequest: 2, durationMs: 60_000 });
          await waitUntil("the load is running", () => running.result.ok >= 100, 10_000);
          const v = await deploys(p, dir, 1, RELOADS, join(dir, "wrap.pid"));
          const tail = running.result.ok;
          await waitUntil("200 responses after the last reload", () => running.result.ok >= tail + 200, 10_000);
          const result = await running.stop();
          t.diagnostic(`${result.ok} ok, ${result.failed} failed, ${RELOADS} reloads`);
          assertNoFailures(result);
          assert.equal(result.responses.at(-1)?.body, `v${v}`);
          assert.match(p.output, /is ready: new socket .*app\.sock accepts/);
        },
      );
    });

    it("the current copy dies: restarted (back-off after the first); --no-restart exits with its status", async () => {
      const port = await freePort();
      await withWrap(
        first,
        () => ["--listen", `127.0.0.1:${port}`, "--warmup", "0.2", "--", NODE, SERVER],
        async (p) => {
          for (let i = 0; i < 2; i++) {
            const victim = copyPids(p).at(-1) as number;
            const mark = p.output.length;
            process.kill(victim, "SIGKILL");
            await p.waitFor(`(pid ${victim}) died (signal SIGKILL)`, { from: mark });
            await p.waitFor(/Copy \d+ \(pid \d+\) is ready/, { from: mark });
            assert.equal((await request(`http://127.0.0.1:${port}/`)).body, "v1");
          }
          assert.match(p.output, /The command keeps dying — next start in 0\.1s/);
        },
      );
      await withTempDir(async (dir) => {
        const p = await startWrap(
          first,
          ["--no-restart", "--warmup", "0.2", "--", NODE, SERVER, "--unix", join(dir, "s.sock")],
          release(dir, "v1"),
        );
        const victim = copyPids(p)[0] as number;
        process.kill(victim, "SIGKILL");
        await p.waitFor("--no-restart: exiting with copy 0's status (137)");
        await stopWrap(p, 137);
      });
    });

    it("--log-format json: the copies' output as records too; POUNCE_PID_FILE is the wrapper's, not the copy's", async () => {
      await withTempDir(async (dir) => {
        const pidFile = join(dir, "wrap.pid");
        const p = await startWrap(
          first,
          ["--log-format", "json", "--warmup", "0.2", "--", NODE, SERVER, "--unix", join(dir, "s.sock")],
          release(dir, "v1"),
          { env: { POUNCE_PID_FILE: pidFile } },
        );
        try {
          await p.waitFor("env POUNCE_PID_FILE=");
          const records = p.output
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          const out = records.find((r) => r.event === "copy_output");
          assert.equal(out?.msg, `v1 listening (pid ${copyPids(p)[0]})`);
          assert.equal(out?.stream, "stdout");
          assert.equal(out?.copy, 0);
          assert.ok(records.some((r) => r.event === "wrap_ready"));
          assert.equal(readFileSync(pidFile, "utf8").trim(), String(p.pid));
          assert.ok(
            records.some((r) => r.event === "copy_output" && r.msg === "env POUNCE_PID_FILE=-"),
            "the wrapper's own POUNCE_* options are not passed on",
          );
        } finally {
          await stopWrap(p, 0);
        }
        assert.ok(!existsSync(pidFile), "the pid file is removed on exit");
      });
    });

    it("the wrapper SIGKILLed, the copy ignores SIGTERM: the guard kills its group after --shutdown-timeout", async () => {
      await withTempDir(async (dir) => {
        const p = await startWrap(
          first,
          ["--warmup", "0.2", "--shutdown-timeout", "1", "--", NODE, SERVER, "--unix", join(dir, "s.sock"), "--ignore-term"],
          release(dir, "v1"),
        );
        try {
          const copy = copyPids(p)[0] as number;
          const killedAt = Date.now();
          p.signal("SIGKILL");
          await waitUntil("the copy is gone", () => !alive(copy), 8_000);
          assert.ok(Date.now() - killedAt >= 900, "not before the shutdown timeout");
        } finally {
          await stopWrap(p, null);
        }
      });
    });

    it("bad usage: one line naming the mistake, exit 2", async () => {
      for (const [args, want] of [
        [["wrap"], "missing command: pounce wrap [options] -- command args…"],
        [["wrap", "--ready-file", "x", "--warmup", "2", "--", "true"], "--ready-file and --warmup name two ready signals"],
        [["wrap", "--listen", "nope", "--", "true"], "--listen must be HOST:PORT, [IPv6]:PORT or unix:PATH"],
        [["wrap", "--", "no-such-command-here"], "command not found: no-such-command-here"],
        [["wrap", "--bogus", "--", "true"], "unknown option --bogus"],
        [["wrap", "--chdir", "/no/such/dir", "--", "true"], "--chdir must be an existing directory"],
      ] as const) {
        const argv = first.argv([...args]);
        const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", timeout: 20_000 });
        assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
        assert.ok(r.stderr.includes(want), `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      }
    });
  });
}
