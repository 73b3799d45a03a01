/**
 * Socket activation (LISTEN_FDS/LISTEN_PID) with Debian's systemd-socket-activate: it binds the
 * address and execs pounce with the socket as fd 3, as a .socket unit does. On Node every worker
 * serves on it; a full restart (pounce stopped, another started on the same held socket) refuses no
 * connection. Bun and Deno, whose servers take no fd, refuse at start in one line.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freePort, noneLeft, Pounce, request, startLoad, withTempDir, writeApp } from "./_harness.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

const APP = `export default { fetch: () => new Response("pid " + process.pid + " ppid " + process.ppid) };\n`;
const STARTED = /Starting pounce .*, pid (\d+)/g;

/** `rt` run under `systemd-socket-activate -l 127.0.0.1:<port> …` (the activator execs: same pid). */
function activated(rt: Runtime, port: number): Runtime {
  return { ...rt, argv: (a) => ["systemd-socket-activate", "-l", `127.0.0.1:${port}`, ...rt.argv(a)] };
}

/**
 * Held socket, two pounce runs: the activator passes fd 3 to a bash that runs pounce twice, each in a
 * subshell whose pid it exports as LISTEN_PID before exec — so the socket stays open in bash while
 * the first pounce is gone and the second starts, as systemd's .socket unit holds it across restarts.
 */
function twoRuns(rt: Runtime, port: number): Runtime {
  const loop = 'for run in 1 2; do ( export LISTEN_PID=$BASHPID; exec "$@" ); done';
  return {
    ...rt,
    argv: (a) => ["systemd-socket-activate", "-l", `127.0.0.1:${port}`, "bash", "-c", loop, "bash", ...rt.argv(a)],
  };
}

/**
 * Start under the activator. It binds at once but execs on the first connection (without --accept,
 * that is what it waits for), so the first request is sent before pounce exists: it waits in the
 * socket's queue and is answered once pounce serves.
 */
async function startActivated(rt: Runtime, port: number, args: string[], ready = true) {
  const p = await Pounce.start(rt, args, { ready: false });
  await p.waitFor(`Listening on 127.0.0.1:${port} as 3.`);
  const first = request(`http://127.0.0.1:${port}/`, { timeoutMs: 30_000 }).catch((e: Error) => e);
  if (ready) await p.waitFor("Ready to accept connections", { timeoutMs: 30_000 });
  return { p, first };
}

const pidsStarted = (p: Pounce) => [...p.output.matchAll(STARTED)].map((m) => Number(m[1]));

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: socket activation`, () => {
    if (!rt.name.startsWith("node")) {
      it("refuses at start in one line: its server cannot take an inherited fd", async () => {
        await withTempDir(async (dir) => {
          const port = await freePort();
          const { p, first } = await startActivated(activated(rt, port), port, [writeApp(dir, "app.ts", APP)], false);
          const exit = await p.exited();
          assert.ok((await first) instanceof Error, "nobody serves the socket");
          assert.equal(exit.code, 1, p.output);
          const name = rt.name === "bun" ? "Bun" : "Deno";
          assert.match(
            p.output,
            new RegExp(
              `pounce: error: socket activation \\(LISTEN_FDS\\) is not possible on ${rt.name} [^:]+: ${name}\\.serve cannot listen on an inherited socket \\(it takes no fd\\); run pounce on Node`,
            ),
          );
          assert.doesNotMatch(p.output, /\n\s+at /, "no stack trace");
          await noneLeft(p);
        });
      });
      return;
    }

    it("serves on fd 3 (--port ignored, logged), reloads on it, also stop-then-start with one worker", async () => {
      await withTempDir(async (dir) => {
        const port = await freePort();
        const app = writeApp(dir, "app.ts", APP);
        const { p, first } = await startActivated(activated(rt, port), port, [app, "--workers", "2"]);
        try {
          const served = await first;
          assert.ok(!(served instanceof Error), `the request that woke the activator: ${served}`);
          assert.match(served.body, /^pid \d+ ppid \d+$/);
          assert.match(p.output, /Serving on the socket systemd passed \(fd 3\); --host and --port ignored/);
          assert.match(p.output, /Ready to accept connections on fd 3 \(socket activation\)/);
          assert.match((await request(`http://127.0.0.1:${port}/`)).body, /^pid \d+ ppid \d+$/);
          // The --port pounce was given (the fixture's) is not listened on.
          assert.ok((await request(p.url("/"), { timeoutMs: 2_000 }).catch((e: Error) => e)) instanceof Error);
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Graceful reload complete", { from: mark });
          const bodies = new Set<string>();
          for (let i = 0; i < 6; i++) bodies.add((await request(`http://127.0.0.1:${port}/`)).body);
          for (const b of bodies) assert.equal(Number(/ppid (\d+)/.exec(b)?.[1]), p.pid, "served by a worker of this pounce");
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
          await noneLeft(p);
        } finally {
          p.kill();
        }
        // One worker, stop-then-start: for a moment no worker listens, and the socket survives that.
        const again = await startActivated(activated(rt, port), port, [app, "--reload-strategy", "restart"]);
        try {
          assert.ok(!((await again.first) instanceof Error));
          const mark = again.p.output.length;
          again.p.signal("SIGHUP");
          await again.p.waitFor("Graceful reload complete", { from: mark });
          assert.match((await request(`http://127.0.0.1:${port}/`)).body, /^pid \d+ ppid \d+$/);
          again.p.signal("SIGTERM");
          assert.equal((await again.p.exited()).code, 0);
          await noneLeft(again.p);
        } finally {
          again.p.kill();
        }
      });
    });

    it("a full restart (stop pounce, start it again on the held socket) refuses no connection", async () => {
      await withTempDir(async (dir) => {
        const port = await freePort();
        const { p, first: woke } = await startActivated(twoRuns(rt, port), port, [writeApp(dir, "app.ts", APP)]);
        try {
          assert.ok(!((await woke) instanceof Error), "the request that woke the activator");
          const [first] = pidsStarted(p);
          assert.ok(first && first !== p.pid, `first pounce's pid from its log (${first})`);
          const load = startLoad(port, {
            keepAlive: 2,
            perRequest: 2,
            durationMs: 30_000,
            maxRequests: 20_000,
            requestTimeoutMs: 15_000,
          });
          await load.seen(50);
          const mark = p.output.length;
          process.kill(first, "SIGTERM");
          const gone = p.arrivedAt(await p.waitFor("All workers stopped", { from: mark }));
          const back = p.arrivedAt(await p.waitFor("Ready to accept connections", { from: mark }));
          const inGap = load.result.ok + load.result.failed;
          const second = pidsStarted(p)[1];
          assert.ok(second && second !== first, `a second pounce started (${second})`);
          // Requests answered by the second run's workers (their parent is the second pounce).
          await load.until(
            "the second pounce answers",
            (r) => r.responses.some((x) => x.body.endsWith(`ppid ${second}`)),
            15_000,
          );
          const result = await load.stop();
          const afterGap = result.responses.filter((x) => x.at >= back).length;
          console.log(
            `${rt.name}: full restart under socket activation: ${result.ok} ok, ${result.failed} failed ${JSON.stringify(result.errors)}; ` +
              `no pounce serving for ${back - gone} ms (${inGap} requests done before it ended, ${afterGap} answered after)`,
          );
          assert.equal(result.failed, 0, `requests failed across the restart: ${JSON.stringify(result.errors)}\n${p.output}`);
          assert.ok(
            result.responses.some((x) => x.body.endsWith(`ppid ${first}`)),
            "the first pounce served too",
          );
          process.kill(second, "SIGTERM");
          assert.equal((await p.exited()).code, 0, p.output);
          await noneLeft(p);
        } finally {
          p.kill();
        }
      });
    });
  });
}
