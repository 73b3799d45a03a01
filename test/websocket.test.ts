/**
 * WebSockets through reloads and shutdown, on every runtime, with the app written the way Hono
 * documents it there (test/_ws.ts): echo under message load across reloads (old sockets closed with
 * 1012 after the app's goodbye, clients reconnect to the new code, never refused), shutdown with
 * 1001 within the timeout, and open sockets counted by health's in_flight and the drain lines.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Pounce, request, sleep, waitUntil, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";
import { connect, crosswsApp, type WsClient, wsApp } from "./_ws.ts";

const RELOADS = 3;
const SESSIONS = 4;
/** Each session sends one message this often while its socket is open. */
const SEND_EVERY_MS = 20;

interface Closed {
  code: number;
  reason: string;
  /** Whether the app's onDrain goodbye arrived before the close (echoes may follow it). */
  goodbye: boolean;
  greeting: string | undefined;
  echoes: number;
  /** Echo replies that named another version than the greeting. */
  foreign: number;
}

/** A client that keeps one socket open, sends under load, and reconnects at once on every close. */
class Session {
  readonly closes: Closed[] = [];
  readonly failures: string[] = [];
  current: WsClient | undefined;
  sent = 0;
  #stopped = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly port: number;
  constructor(port: number) {
    this.port = port;
  }

  greeting(c = this.current): string | undefined {
    return c?.messages.find((m) => m.startsWith("hello "));
  }

  start(): void {
    const c = connect(this.port);
    this.current = c;
    c.opened.then(
      () => {
        this.#timer = setInterval(() => {
          if (c.ws.readyState === WebSocket.OPEN) {
            c.ws.send(`m${this.sent++}`);
          }
        }, SEND_EVERY_MS);
      },
      (err: Error) => this.failures.push(err.message),
    );
    c.closed.then((e) => {
      clearInterval(this.#timer);
      if (this.#stopped) return;
      const greeting = this.greeting(c);
      const version = greeting?.slice("hello ".length);
      const echoes = c.messages.filter((m) => /^v\d+:m\d+$/.test(m));
      this.closes.push({
        code: e.code,
        reason: e.reason,
        goodbye: c.messages.includes("goodbye reload"),
        greeting,
        echoes: echoes.length,
        foreign: echoes.filter((m) => !m.startsWith(`${version}:`)).length,
      });
      if (c.error === undefined) this.start();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const c = this.current;
    if (c && c.ws.readyState !== WebSocket.CLOSED) {
      c.ws.close(1000);
      await Promise.race([c.closed, sleep(3_000)]);
    }
  }
}

async function health(port: number): Promise<{ in_flight: number; generation: number }> {
  return JSON.parse((await request(`http://127.0.0.1:${port}/health`)).body);
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: websockets`, () => {
    it(`echo across ${RELOADS} reloads under message load: 1012 after the goodbye, reconnects reach the new code, none refused`, async (t) => {
      await withPounce(
        rt,
        (dir) => [wsApp(rt, dir, "v1"), "--workers", "2"],
        async (p, dir) => {
          const sessions = Array.from({ length: SESSIONS }, () => new Session(p.port));
          for (const s of sessions) s.start();
          try {
            await waitUntil("every session greeted by v1", () => sessions.every((s) => s.greeting() === "hello v1"));
            for (let i = 1; i <= RELOADS; i++) {
              const version = `v${i + 1}`;
              wsApp(rt, dir, version);
              const mark = p.output.length;
              p.signal("SIGHUP");
              await p.waitFor(`Graceful reload complete. Running 2 worker(s) on generation ${i}`, {
                from: mark,
                timeoutMs: 30_000,
              });
              // Every old worker has exited, so every session has been closed and has reconnected.
              await waitUntil(`every session greeted by ${version}`, () =>
                sessions.every((s) => s.greeting() === `hello ${version}`),
              );
              await waitUntil("echoes from the new code", () =>
                sessions.every((s) => (s.current?.messages ?? []).some((m) => m.startsWith(`${version}:`))),
              );
            }
          } finally {
            await Promise.all(sessions.map((s) => s.stop()));
          }
          const closes = sessions.flatMap((s) => s.closes);
          const failures = sessions.flatMap((s) => s.failures);
          t.diagnostic(`${closes.length} closes, ${sessions.reduce((n, s) => n + s.sent, 0)} messages sent`);
          assert.deepEqual(failures, [], "a connection was refused or failed");
          assert.equal(closes.length, SESSIONS * RELOADS, "each session is closed once per reload");
          for (const c of closes) {
            assert.equal(c.code, 1012, `closed with ${c.code} ${c.reason}`);
            assert.equal(c.reason, "Service Restart");
            assert.ok(c.goodbye, "the app's onDrain goodbye came before the close");
            assert.ok(c.echoes > 0, "the socket echoed under load");
            assert.equal(c.foreign, 0, "an echo came from other code than the greeting");
          }
          // Each reconnect (the n-th close of a session) landed on the code of reload n.
          for (const s of sessions) {
            for (const [n, c] of s.closes.entries()) assert.equal(c.greeting, `hello v${n + 1}`);
          }
          assert.ok(p.count("APP-ONCLOSE 1012") >= SESSIONS * RELOADS, "the app's onClose saw 1012");
        },
      );
    });

    it("shutdown: in_flight and the drain line count open sockets; the goodbye, then 1001 within the timeout", async () => {
      await withPounce(
        rt,
        // --request-timeout: an upgrade still reaches the app as the runtime's own Request (Deno).
        (dir) => [wsApp(rt, dir, "v1"), "--health-check-path", "/health", "--shutdown-timeout", "5", "--request-timeout", "5"],
        async (p, dir) => {
          const a = connect(p.port);
          const b = connect(p.port);
          await Promise.all([a.opened, b.opened]);
          await waitUntil("both greeted", () => a.messages.length > 0 && b.messages.length > 0);
          assert.equal((await health(p.port)).in_flight, 2);

          // A reload with both open on the one worker: counted, closed with 1012.
          wsApp(rt, dir, "v2");
          let mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 30_000 });
          const reloadLog = p.output.slice(mark);
          assert.match(reloadLog, /Worker 0 draining 2 active connection\(s\)/);
          assert.doesNotMatch(reloadLog, /no active connections/);
          assert.equal((await a.closed).code, 1012);
          assert.equal((await b.closed).code, 1012);

          const c = connect(p.port);
          const d = connect(p.port);
          await Promise.all([c.opened, d.opened]);
          await waitUntil("greeted by v2", () => c.messages[0] === "hello v2" && d.messages[0] === "hello v2");
          assert.equal((await health(p.port)).in_flight, 2);
          d.ws.close(1000);
          await d.closed;
          await waitUntil("in_flight back to 1", async () => (await health(p.port)).in_flight === 1);

          mark = p.output.length;
          const signalled = Date.now();
          p.signal("SIGTERM");
          const closed = await c.closed;
          assert.equal(closed.code, 1001);
          assert.equal(closed.reason, "Going Away");
          assert.ok(closed.at - signalled < 5_000, `closed ${closed.at - signalled} ms after SIGTERM, past shutdown_timeout`);
          assert.equal(c.messages.at(-1), "goodbye shutdown", "the app's onDrain goodbye came before the close");
          assert.equal((await p.exited(10_000)).code, 0);
          const shutdownLog = p.output.slice(mark);
          assert.match(shutdownLog, /draining 1 active connection\(s\)/);
          assert.doesNotMatch(shutdownLog, /no active connections/);
          assert.match(shutdownLog, /APP-ONCLOSE 1001/);
          assert.doesNotMatch(shutdownLog, /still had \d+ request/, "the drain reached its deadline");
        },
      );
    });

    it("crossws (its own adapter per runtime): echo, 1012 on a reload after the goodbye, 1001 on shutdown", async () => {
      await withPounce(
        rt,
        (dir) => [crosswsApp(rt, dir, "v1")],
        async (p, dir) => {
          const a = connect(p.port);
          await a.opened;
          a.ws.send("ping");
          await waitUntil("greeting and echo", () => a.messages.includes("hello v1") && a.messages.includes("v1:ping"));
          crosswsApp(rt, dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          const reloaded = await a.closed;
          assert.equal(reloaded.code, 1012);
          assert.ok(a.messages.includes("goodbye reload"), "the app's goodbye came before the close");
          await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 30_000 });
          assert.doesNotMatch(p.output.slice(mark), /no active connections/);
          const b = connect(p.port);
          await b.opened;
          await waitUntil("greeted by v2", () => b.messages.includes("hello v2"));
          p.signal("SIGTERM");
          const shut = await b.closed;
          assert.equal(shut.code, 1001);
          assert.ok(b.messages.includes("goodbye shutdown"));
          assert.equal((await p.exited(10_000)).code, 0);
          assert.ok(p.count("CROSSWS-CLOSE") >= 2, "crossws's close hook ran");
          assert.doesNotMatch(p.output, /Unhandled error/);
        },
      );
    });

    it("without the websocket export: Node and Bun refuse the upgrade and the log says what to export; Deno needs none", async () => {
      await withPounce(
        rt,
        (dir) => [wsApp(rt, dir, "v1", { withoutExport: true })],
        async (p) => {
          const c = connect(p.port);
          if (rt.name === "deno") {
            await c.opened;
            await waitUntil("greeted", () => c.messages.includes("hello v1"));
            c.ws.close(1000);
            await c.closed;
            assert.doesNotMatch(p.output, /exports no `websocket`/);
            return;
          }
          await assert.rejects(c.opened);
          await p.waitFor(
            /WebSocket upgrade for GET \/ws failed \(500\) and the app exports no `websocket`: export the runtime's WebSocket handling/,
          );
          // Once per worker, not once per attempt.
          await assert.rejects(connect(p.port).opened);
          assert.equal((await request(p.url("/"))).body, "v1");
          assert.equal(p.count("exports no `websocket`"), 1);
        },
      );
    });

    it("a websocket export that is not Node's shape: Node refuses to start, naming what it takes", async () => {
      await withTempDir(async (dir) => {
        const app = writeApp(dir, "app.ts", `export default { fetch: () => new Response("up"), websocket: { server: {} } };\n`);
        if (!rt.name.startsWith("node")) {
          // Bun hands it to Bun.serve, which takes it; Deno has no use for the export.
          await withPounce(rt, [app], { dir }, async (p) => assert.equal((await request(p.url("/"))).body, "up"));
          return;
        }
        const p = await Pounce.start(rt, [app], { ready: false });
        const exit = await p.exited(20_000);
        assert.equal(exit.code, 1);
        assert.match(
          p.output,
          /Failed to start: the app's `websocket` export on Node must be `\{ server \}` with a `ws` WebSocketServer/,
        );
        assert.doesNotMatch(p.output, /\n\s+at /, "a stack reached the log");
      });
    });
  });
}
