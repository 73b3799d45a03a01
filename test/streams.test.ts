/**
 * Long responses (SSE through Hono's streamSSE) on every runtime: `--request-timeout` bounds the
 * time to the response's headers only, so a stream outlives it (and nothing prints a stack); a
 * stream started on an old worker goes on through a reload until it ends, or until the drain's
 * `reload_timeout` cuts it.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { withPounce } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";
import { wsApp } from "./_ws.ts";

interface Streamed {
  status: number;
  /** The SSE `data:` lines, in order. */
  events: string[];
  /** Whether the response ended cleanly (false: cut). */
  complete: boolean;
  endedAt: number;
}

/** GET a stream, calling `onEvent` per SSE event as it arrives; bounded by `timeoutMs`. */
function stream(port: number, path: string, onEvent: (data: string) => void = () => {}, timeoutMs = 20_000): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    let buffered = "";
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const done = (complete: boolean) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, events, complete, endedAt: Date.now() });
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
          const line = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          if (line.startsWith("data: ")) {
            events.push(line.slice(6));
            onEvent(line.slice(6));
          }
        }
      });
      res.on("end", () => done(res.complete));
      res.on("aborted", () => done(false));
      res.on("error", () => done(false));
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`stream ${path} still open after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const upTo = (n: number, version: string) => Array.from({ length: n }, (_, i) => `${version} ${i}`);

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: streams`, () => {
    it("--request-timeout bounds time to the headers: an SSE stream outlives it, no stack in the log", async () => {
      await withPounce(
        rt,
        (dir) => [wsApp(rt, dir, "v1"), "--request-timeout", "1"],
        async (p) => {
          const started = Date.now();
          const r = await stream(p.port, "/sse?n=8&ms=300");
          assert.equal(r.status, 200);
          assert.ok(r.complete, "the stream was cut");
          assert.deepEqual(r.events, upTo(8, "v1"));
          assert.ok(r.endedAt - started >= 2_000, "the stream ran past the request timeout");
          assert.doesNotMatch(p.output, /request_timeout/);
          assert.doesNotMatch(p.output, /\n\s+at /, "a stack reached the log");
        },
      );
    });

    it("a stream started on the old worker goes on through a reload until it ends", async () => {
      await withPounce(
        rt,
        (dir) => [wsApp(rt, dir, "v1")],
        async (p, dir) => {
          let first: () => void = () => {};
          const firstEvent = new Promise<void>((r) => {
            first = r;
          });
          const running = stream(p.port, "/sse?n=10&ms=300", () => first());
          await firstEvent;
          wsApp(rt, dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Cut-over complete", { from: mark, timeoutMs: 30_000 });
          const r = await running;
          assert.ok(r.complete, "the stream was cut by the reload");
          assert.deepEqual(r.events, upTo(10, "v1"));
          await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 30_000 });
          const completeAt = p.arrivedAt(p.output.indexOf("Graceful reload complete", mark) + 1);
          assert.ok(completeAt >= r.endedAt - 200, "the old worker exited before its stream ended");
          const next = await stream(p.port, "/sse?n=1&ms=0");
          assert.deepEqual(next.events, ["v2 0"]);
        },
      );
    });

    it("reload_timeout cuts a stream that outlasts it; the reload completes", async () => {
      await withPounce(
        rt,
        (dir) => [wsApp(rt, dir, "v1"), "--reload-timeout", "2"],
        async (p, dir) => {
          let first: () => void = () => {};
          const firstEvent = new Promise<void>((r) => {
            first = r;
          });
          const running = stream(p.port, "/sse?n=200&ms=100", () => first());
          await firstEvent;
          wsApp(rt, dir, "v2");
          const mark = p.output.length;
          const signalled = Date.now();
          p.signal("SIGHUP");
          const r = await running;
          assert.equal(r.complete, false, "the stream ran to its end");
          assert.ok(r.events.length < 200);
          assert.ok(r.endedAt - signalled < 8_000, `cut ${r.endedAt - signalled} ms after the reload, long past reload_timeout`);
          assert.ok(r.endedAt - signalled >= 1_500, `cut ${r.endedAt - signalled} ms after the reload, before reload_timeout`);
          await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 30_000 });
          assert.deepEqual((await stream(p.port, "/sse?n=1&ms=0")).events, ["v2 0"]);
        },
      );
    });

    it("shutdown_timeout cuts a stream that outlasts it; pounce exits 0", async () => {
      await withPounce(
        rt,
        (dir) => [wsApp(rt, dir, "v1"), "--shutdown-timeout", "2"],
        async (p) => {
          let first: () => void = () => {};
          const firstEvent = new Promise<void>((r) => {
            first = r;
          });
          const running = stream(p.port, "/sse?n=200&ms=100", () => first());
          await firstEvent;
          const signalled = Date.now();
          p.signal("SIGTERM");
          const r = await running;
          assert.equal(r.complete, false, "the stream ran to its end");
          assert.ok(r.endedAt - signalled < 8_000, `cut ${r.endedAt - signalled} ms after SIGTERM, long past shutdown_timeout`);
          assert.ok(r.endedAt - signalled >= 1_500, `cut ${r.endedAt - signalled} ms after SIGTERM, before shutdown_timeout`);
          assert.equal((await p.exited(15_000)).code, 0);
        },
      );
    });
  });
}
