/** What a request sees: health, request timeout, app errors, the ctx contract; logs, titles, pid file. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { processes, request, versionedApp, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const APP = `export default {
  async fetch(request: Request, ctx: any): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/health": throw new Error("the health check reached the app");
      case "/throw": throw new Error("secret-internal-detail");
      case "/slow": {
        request.signal.addEventListener("abort", () => console.log("APP-SAW-ABORT"));
        console.log("APP-SLOW-STARTED");
        await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? 2000)));
        return new Response("slow done");
      }
      case "/ctx":
        return Response.json({ addr: ctx.remoteAddr?.hostname, worker: ctx.worker });
      case "/background":
        ctx.waitUntil(new Promise((r) => setTimeout(r, 1200)).then(() => console.log("BACKGROUND-DONE")));
        return new Response("accepted");
      default:
        return new Response("hello");
    }
  },
  onDrain(info: { reason: string; timeoutMs: number }) {
    console.log("ON-DRAIN " + info.reason + " " + info.timeoutMs);
  },
};
`;

/** Send one raw HTTP request on an already-open socket; resolve with the status line. */
function rawRequest(port: number): { socket: ReturnType<typeof connect>; send(path: string): Promise<string> } {
  const socket = connect(port, "127.0.0.1");
  return {
    socket,
    send(path) {
      return new Promise((resolve, reject) => {
        let data = "";
        socket.on("data", (d) => {
          data += d.toString();
          if (data.includes("\r\n\r\n")) resolve(data);
        });
        socket.once("error", reject);
        socket.once("close", () => (data ? resolve(data) : reject(new Error("closed"))));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      });
    },
  };
}

const app = (dir: string) => writeApp(dir, "app.ts", APP);

for (const rt of selectedRuntimes()) {
  // Independent servers on their own ports, none with a tight time bound: two at a time.
  describe(`${rt.name}: serving`, { concurrency: 2 }, () => {
    it("health: GET/HEAD 200 JSON before the app, not access-logged, also during a reload; 503 once shutdown begins", async () => {
      const args = (dir: string) => [app(dir), "--workers", "2", "--health-check-path", "/health", "--access-log"];
      await withPounce(rt, args, async (p, dir) => {
        const r = await request(p.url("/health"));
        assert.equal(r.status, 200);
        const body = JSON.parse(r.body);
        assert.equal(body.status, "ok");
        assert.equal(body.generation, 0);
        assert.equal(typeof body.worker, "number");
        assert.equal(typeof body.in_flight, "number");
        const head = await request(p.url("/health"), { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.body, "");
        assert.equal((await request(p.url("/"))).body, "hello");
        await p.waitFor("GET / 200");
        assert.doesNotMatch(p.output, /GET \/health/);
        // During a reload (new generation importing slowly) health stays 200.
        writeApp(dir, "app.ts", `await new Promise((r) => setTimeout(r, 1000));\n${APP}`);
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Spawning 2 worker(s) (generation 1)", { from: mark });
        for (let i = 0; i < 5; i++) assert.equal((await request(p.url("/health"))).status, 200);
        await p.waitFor("Graceful reload complete", { from: mark });
        assert.equal(JSON.parse((await request(p.url("/health"))).body).generation, 1);
        // Shutdown: a connection opened before SIGTERM sees 503 draining.
        const raw = rawRequest(p.port);
        await new Promise((r) => raw.socket.once("connect", r));
        const slowMark = p.output.length;
        const slow = request(p.url("/slow?ms=1500"));
        await p.waitFor("APP-SLOW-STARTED", { from: slowMark });
        const mark2 = p.output.length;
        p.signal("SIGTERM");
        await p.waitFor(/draining \d+ active connection|shutting down \(no active/, { from: mark2 });
        const reply = await raw.send("/health");
        assert.match(reply, /^HTTP\/1\.1 503/);
        assert.match(reply, /"status":"draining"/);
        assert.equal((await slow).status, 200);
        raw.socket.destroy();
        assert.equal((await p.exited()).code, 0);
      });
    });

    it("request timeout: 504 and request.signal aborted; the worker keeps serving (streams: test/streams.test.ts)", async () => {
      await withPounce(
        rt,
        (dir) => [app(dir), "--request-timeout", "1"],
        async (p) => {
          const started = Date.now();
          const r = await request(p.url("/slow?ms=5000"));
          assert.equal(r.status, 504);
          assert.ok(Date.now() - started < 3_000);
          await p.waitFor("APP-SAW-ABORT");
          await p.waitFor(/exceeded request_timeout \(1\.0s\)/);
          assert.equal((await request(p.url("/"))).body, "hello");
          assert.doesNotMatch(p.output, /died/);
        },
      );
    });

    it("an app error is a generic 500 (stack only in the log) and the worker lives on", async () => {
      await withPounce(
        rt,
        (dir) => [app(dir)],
        async (p) => {
          const r = await request(p.url("/throw"));
          assert.equal(r.status, 500);
          assert.doesNotMatch(r.body, /secret-internal-detail|at /);
          await p.waitFor(/Unhandled error in fetch handler for GET \/throw: .*secret-internal-detail/);
          assert.match(p.output, /\n\s+at /, "the stack belongs in the log");
          assert.equal((await request(p.url("/"))).body, "hello");
          assert.doesNotMatch(p.output, /died/);
        },
      );
    });

    it("ctx: client address and worker; waitUntil holds the drain; onDrain runs with reason and timeout", async () => {
      await withPounce(
        rt,
        (dir) => [app(dir), "--shutdown-timeout", "7"],
        async (p) => {
          const info = JSON.parse((await request(p.url("/ctx"))).body);
          assert.equal(info.addr, "127.0.0.1");
          assert.deepEqual(info.worker, { id: 0, generation: 0 });
          assert.equal((await request(p.url("/background"))).body, "accepted");
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
          // The app is told the time it has left: shutdown_timeout (7 s) less what the shutdown used
          // before the drain (on Node the primary's listener hand-over, a few ms).
          const told = Number(/ON-DRAIN shutdown (\d+)/.exec(p.output)?.[1]);
          assert.ok(told > 6_000 && told <= 7_000, `onDrain was told ${told} ms, expected 6000–7000`);
          const done = p.output.indexOf("BACKGROUND-DONE");
          assert.ok(done >= 0, "waitUntil work was cut short");
          assert.ok(done < p.output.indexOf("All workers stopped"));
        },
      );
    });

    it("--log-format json: one JSON object per line, same events", async () => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1"), "--workers", "2", "--log-format", "json"],
        async (p, dir) => {
          versionedApp(dir, "v2");
          p.signal("SIGHUP");
          await p.waitFor('"event":"reload_complete"');
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
          const lines = p.output.split("\n").filter((l) => l.trim());
          const records = lines.map((l) => JSON.parse(l));
          const events = records.map((r) => r.event);
          for (const e of [
            "starting",
            "ready",
            "reload_requested",
            "draining_old",
            "worker_idle",
            "reload_complete",
            "shutdown_requested",
            "stopped",
          ])
            assert.ok(events.includes(e), `missing event ${e}`);
          for (const r of records) {
            assert.equal(typeof r.time, "string");
            assert.equal(typeof r.msg, "string");
          }
          assert.ok(records.some((r) => r.msg === "Graceful reload complete. Running 2 worker(s) on generation 1"));
        },
      );
    });

    it("process titles name the entry and the address; kill -HUP $(cat pid) and pkill -f 'pounce: supervisor <entry> <address>' reload", async () => {
      let pidFile = "";
      await withPounce(
        rt,
        (dir) => {
          pidFile = `${dir}/pounce.pid`;
          return [versionedApp(dir, "v1"), "--workers", "2", "--pid-file", pidFile];
        },
        async (p, dir) => {
          const entry = `${dir}/app.ts`;
          const address = `127.0.0.1:${p.port}`;
          assert.equal(readFileSync(pidFile, "utf8").trim(), String(p.pid));
          const titles = processes().filter((x) => x.pgid === p.pid);
          assert.ok(
            titles.some((x) => x.pid === p.pid && x.args.trim() === `pounce: supervisor ${entry} ${address}`),
            JSON.stringify(titles),
          );
          if (rt.workerProcesses) {
            for (const id of [0, 1])
              assert.ok(
                titles.some((x) => x.args.trim() === `pounce: worker ${id} (generation 0) ${entry} ${address}`),
                JSON.stringify(titles),
              );
          }
          versionedApp(dir, "v2");
          process.kill(Number(readFileSync(pidFile, "utf8")), "SIGHUP");
          await p.waitFor("Running 2 worker(s) on generation 1");
          versionedApp(dir, "v3");
          // The whole title: this one service, not every pounce on the host.
          execFileSync("pkill", ["-HUP", "-f", `pounce: supervisor ${entry} ${address}`]);
          await p.waitFor("Running 2 worker(s) on generation 2");
          assert.equal((await request(p.url("/"))).body, "v3");
          p.signal("SIGTERM");
          assert.equal((await p.exited()).code, 0);
          assert.equal(existsSync(pidFile), false, "pid file left behind");
        },
      );
    });
  });
}
