/** `--uds`: serving on a unix socket — requests, health, mode, reloads under load, shutdown, symlinks. */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  Pounce,
  processes,
  request,
  SLOW_STARTED,
  startLoad,
  versionedApp,
  withPounce,
  withTempDir,
  writeApp,
} from "./_harness.ts";
import { ROOT, type Runtime, selectedRuntimes } from "./_runtimes.ts";

const BIN = join(ROOT, "bin/pounce.mjs");

/** SIGHUPs back to back under load over the socket. */
const RELOADS = Number(process.env.POUNCE_TEST_RELOADS ?? 3);

const over = (socketPath: string, path = "/") => request(`http://localhost${path}`, { socketPath });
const privateDirs = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(".pounce-"));

for (const rt of selectedRuntimes()) {
  // Node's workers share one socket (the cluster primary's); Bun's and Deno's bind one each.
  const workers = rt.name.startsWith("node") ? 2 : 1;

  describe(`${rt.name}: unix socket (--uds)`, () => {
    it("serves and answers health over the socket, with --uds-mode, the ignored --port logged and the socket in the titles", async () => {
      let sock = "";
      await withPounce(
        rt,
        (dir) => {
          sock = join(dir, "app.sock");
          return [
            versionedApp(dir, "v1"),
            "--uds",
            sock,
            "--uds-mode",
            "0600",
            "--workers",
            String(workers),
            "--health-check-path",
            "/health",
          ];
        },
        async (p, dir) => {
          assert.match(p.output, new RegExp(`Serving on unix socket ${sock}: --port ignored`));
          assert.match(p.output, new RegExp(`Ready to accept connections on unix:${sock} — ${workers} worker\\(s\\)`));
          const st = lstatSync(sock);
          assert.ok(st.isSocket(), "the path is a socket");
          assert.equal((st.mode & 0o777).toString(8), "600");
          assert.equal((await over(sock)).body, "v1");
          const health = JSON.parse((await over(sock, "/health")).body);
          assert.equal(health.status, "ok");
          // Nothing listens on the TCP port that was ignored.
          await assert.rejects(request(p.url("/")), /ECONNREFUSED/);
          if (workers > 1) {
            const seen = new Set<number>();
            for (let i = 0; i < 40 && seen.size < workers; i++) seen.add(JSON.parse((await over(sock, "/health")).body).worker);
            assert.equal(seen.size, workers, "every worker serves the one socket");
          }
          const entry = join(dir, "app.ts");
          const group = processes().filter((x) => x.pgid === p.pid);
          const sup = group.find((x) => x.pid === p.pid);
          assert.equal(sup?.args.trim(), `pounce: supervisor ${entry} ${sock}`, JSON.stringify(group));
          assert.ok(
            group.some((x) => x.args.trim() === `pounce: worker 0 (generation 0) ${entry} ${sock}`),
            JSON.stringify(group),
          );
          assert.equal(privateDirs(dir).length, 1, "one private directory while serving");
          // SIGTERM with a request in flight: the path goes at once, the request still finishes.
          const mark = p.output.length;
          const slow = over(sock, "/slow?ms=1500");
          await p.waitFor(SLOW_STARTED, { from: mark });
          p.signal("SIGTERM");
          // Unlinked as the drain starts (which --shutdown-delay would postpone), before its line.
          await p.waitFor(/Shutting down \d+ worker/, { from: mark });
          assert.equal(existsSync(sock), false, "the socket is unlinked when the drain starts");
          await assert.rejects(over(sock), /ENOENT/);
          assert.equal((await slow).body, "v1", "the request in flight finished");
          assert.equal((await p.exited()).code, 0);
          assert.equal(existsSync(sock), false, "the socket is removed on stop");
          assert.deepEqual(privateDirs(dir), [], "the private directory is removed on stop");
        },
      );
    });

    it(`${RELOADS} reloads under keep-alive and per-connection load over the socket: zero failed requests`, async (t) => {
      let sock = "";
      await withPounce(
        rt,
        (dir) => {
          sock = join(dir, "app.sock");
          return [versionedApp(dir, "v1"), "--uds", sock, "--workers", String(workers)];
        },
        // Bun and Deno as off Linux (no SO_REUSEPORT): a unix socket still reloads without a gap.
        { env: { POUNCE_NO_REUSEPORT: "1" } },
        async (p, dir) => {
          assert.doesNotMatch(p.output, /stop the old workers before starting|tcp_migrate_req/);
          const running = startLoad(0, { socketPath: sock, keepAlive: 16, perRequest: 4, durationMs: 60_000 });
          await running.seen(200);
          let version = 1;
          for (let i = 0; i < RELOADS; i++) {
            version++;
            versionedApp(dir, `v${version}`);
            const mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor(`Running ${workers} worker(s) on generation ${version - 1}`, { from: mark, timeoutMs: 30_000 });
          }
          const doneAt = Date.now();
          const tail = running.result.responses.length;
          await running.until(
            "500 responses after the last reload",
            (r) => r.responses.length >= tail + 500 && (r.responses.at(-1)?.at ?? 0) > doneAt + 200,
          );
          const result = await running.stop();
          t.diagnostic(`unix socket: ${result.ok} ok, ${result.failed} failed across ${RELOADS} reloads`);
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);
          assert.ok(result.ok > 500, `only ${result.ok} requests completed`);
          for (const r of result.responses.filter((x) => x.at > doneAt + 50)) assert.equal(r.body, `v${version}`);
          assert.equal((await over(sock)).body, `v${version}`);
          assert.deepEqual(readdirSync(join(dir, privateDirs(dir)[0] as string)), [], "no stale private names");
          // A deploy that fails to import leaves the path on the serving socket.
          writeApp(dir, "app.ts", "export default { fetch( {\n");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Reload failed — continuing with previous version", { from: mark });
          assert.equal((await over(sock)).body, `v${version}`);
        },
      );
    });

    it("two services of one app on two sockets: pkill -HUP -f 'pounce: supervisor <entry> <socket>' reloads only one", async () => {
      await withTempDir(async (dir) => {
        const app = versionedApp(dir, "v1");
        const [a, b] = [join(dir, "a.sock"), join(dir, "b.sock")];
        await withPounce(rt, [app, "--uds", a], { dir }, async (pa) => {
          await withPounce(rt, [app, "--uds", b], { dir }, async (pb) => {
            versionedApp(dir, "v2");
            execFileSync("pkill", ["-HUP", "-f", `pounce: supervisor ${app} ${a}`]);
            await pa.waitFor("Graceful reload complete");
            assert.equal((await over(a)).body, "v2");
            assert.equal((await over(b)).body, "v1", "the other service kept its code");
            assert.equal(pb.count("Received SIGHUP"), 0, pb.output);
          });
        });
      });
    });

    it("a command line too short for the whole title: the supervisor says what ps shows", async () => {
      await withTempDir(async (dir) => {
        versionedApp(dir, "v1");
        // `./n p app.ts --port N`: the runtime and pounce's bin reached through one-letter links.
        symlinkSync(rt.exe, join(dir, "n"));
        symlinkSync(BIN, join(dir, "p"));
        const short: Runtime = {
          ...rt,
          argv: (a) => [
            "./n",
            ...rt
              .argv(a)
              .slice(1)
              .map((x) => (x === BIN ? "p" : x)),
          ],
        };
        await withPounce(short, ["app.ts"], { dir, cwd: dir }, async (p) => {
          const m = /Process title cut to the command line's length: ps shows "([^"]+)"/.exec(p.output);
          assert.ok(m, p.output);
          const shown = m[1] as string;
          assert.ok(`pounce: supervisor app.ts 127.0.0.1:${p.port}`.startsWith(shown), shown);
          assert.ok(shown.startsWith("pounce: supervisor app.ts"), shown);
          assert.equal(
            processes()
              .find((x) => x.pid === p.pid)
              ?.args.trim(),
            shown,
          );
        });
      });
    });

    it("a symlink planted at the socket path and at the pid file is replaced, never followed; a stale socket is replaced; a newer instance's socket is left alone on stop", async () => {
      await withTempDir(async (dir) => {
        const sock = join(dir, "app.sock");
        const pid = join(dir, "pounce.pid");
        const target = join(dir, "precious");
        writeFileSync(target, "keep me\n", { mode: 0o644 });
        symlinkSync(target, sock);
        symlinkSync(target, pid);
        await withPounce(rt, [versionedApp(dir, "v1"), "--uds", sock, "--pid-file", pid], { dir }, async (p) => {
          assert.ok(lstatSync(sock).isSocket(), "the symlink was replaced by the socket");
          assert.ok(lstatSync(pid).isFile(), "the pid file is a file of its own");
          assert.equal(readFileSync(pid, "utf8").trim(), String(p.pid));
          assert.equal(readFileSync(target, "utf8"), "keep me\n", "the symlink's target is untouched");
          assert.equal((statSync(target).mode & 0o777).toString(8), "644", "the target's mode is untouched");
          assert.equal((await over(sock)).body, "v1");
        });
        assert.equal(existsSync(sock), false);
        assert.equal(existsSync(pid), false);
        assert.equal(readFileSync(target, "utf8"), "keep me\n");

        // A socket left by a killed server (nobody accepts on it) is replaced.
        leaveStaleSocket(sock);
        assert.ok(lstatSync(sock).isSocket());
        // A stand-in for another server: answers every connection once, then closes it.
        const newer = createServer((c) => {
          c.once("data", () =>
            c.end("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nnewer", () => c.destroy()),
          );
        });
        try {
          await withPounce(rt, [versionedApp(dir, "v2"), "--uds", sock], { dir }, async () => {
            assert.equal((await over(sock)).body, "v2");
            // Another instance takes the path over: on stop pounce must leave that socket alone.
            rmSync(sock);
            await new Promise<void>((r) => newer.listen(sock, r));
          });
          assert.equal((await over(sock)).body, "newer", "the newer instance's socket is left in place");
        } finally {
          await new Promise((r) => newer.close(r));
        }
      });
    });

    it("refuses a socket something accepts on, a path that is not a socket, and (where workers cannot share it) --workers 2", async () => {
      await withTempDir(async (dir) => {
        const app = versionedApp(dir, "v1");
        const sock = join(dir, "busy.sock");
        const other = createServer(() => {});
        await new Promise<void>((r) => other.listen(sock, r));
        try {
          const busy = await Pounce.start(rt, [app, "--uds", sock], { ready: false });
          assert.equal((await busy.exited()).code, 1);
          assert.match(busy.output, new RegExp(`Failed to start: unix socket ${sock} is already in use`));
        } finally {
          await new Promise((r) => other.close(r));
        }
        const file = join(dir, "not-a-socket");
        writeFileSync(file, "data");
        const notSock = await Pounce.start(rt, [app, "--uds", file], { ready: false });
        assert.equal((await notSock.exited()).code, 2);
        assert.match(notSock.output, /--uds .*not-a-socket is a file that is not a socket: remove it or choose another path/);
        assert.equal(readFileSync(file, "utf8"), "data");
        const noDir = await Pounce.start(rt, [app, "--uds", join(dir, "missing", "app.sock")], { ready: false });
        assert.equal((await noDir.exited()).code, 1);
        assert.match(noDir.output, /cannot listen on unix socket .*missing\/app\.sock: directory .*missing does not exist/);
        const long = await Pounce.start(rt, [app, "--uds", join(dir, "d".repeat(90), "app.sock")], { ready: false });
        assert.equal((await long.exited()).code, 2);
        assert.match(long.output, /--uds is too long for a unix socket/);
        if (workers === 1) {
          const two = await Pounce.start(rt, [app, "--uds", join(dir, "two.sock"), "--workers", "2"], { ready: false });
          assert.equal((await two.exited()).code, 2);
          assert.match(two.output, /--uds with --workers 2: on (bun|deno) each worker binds its own listener/);
          assert.doesNotMatch(two.output, /\n\s+at /, "no stack trace");
        }
      });
    });
  });
}

/** Bind a unix socket and exit without closing it (as a SIGKILLed server would leave it). */
function leaveStaleSocket(path: string): void {
  const r = spawnSync(process.execPath, [
    "-e",
    `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
  ]);
  assert.equal(r.signal, "SIGKILL");
}
