/** App readiness policy: init() first, the --ready-path back-off, what each miss reports, the startup-timeout line. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PounceApp } from "../../src/app.ts";
import { awaitAppReady, readyRetryDelay } from "../../src/worker/app-readiness.ts";
import { rig } from "./_fake.ts";

describe("app readiness", () => {
  it("backs off 50 ms, doubling, at most 1 s apart", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(readyRetryDelay), [50, 100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("awaits init() before the first probe, retries until 2xx, and reports every miss", async () => {
    const order: string[] = [];
    const statuses = [503, 500];
    const app: PounceApp = {
      async init() {
        await Promise.resolve();
        order.push("init");
      },
      fetch(request) {
        order.push(new URL(request.url).pathname);
        const status = statuses.shift();
        if (status === undefined) return new Response("ok");
        if (status === 500) throw new Error("db down");
        return new Response(null, { status });
      },
    };
    const reports: string[] = [];
    const slept: number[] = [];
    await awaitAppReady({
      app,
      readyPath: "/ready",
      worker: { id: 0, generation: 0 },
      report: (d) => reports.push(d),
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    assert.deepEqual(order, ["init", "/ready", "/ready", "/ready"]);
    assert.deepEqual(reports, [
      "init() has not returned",
      "GET /ready answered 503 (try 1)",
      "GET /ready threw Error: db down (try 2)",
    ]);
    assert.deepEqual(slept, [50, 100]);
  });

  it("the probe is a GET with a context of its own: loopback remoteAddr, this worker, no runtime extras", async () => {
    let seen: { method: string; url: string; ctx: Record<string, unknown> } | undefined;
    const app: PounceApp = {
      fetch(request, ctx) {
        seen = { method: request.method, url: request.url, ctx };
        return new Response("ok");
      },
    };
    await awaitAppReady({ app, readyPath: "/ready?deep=1", worker: { id: 7, generation: 3 }, report: () => {} });
    assert.equal(seen?.method, "GET");
    assert.equal(seen?.url, "http://localhost/ready?deep=1");
    assert.deepEqual(seen?.ctx.remoteAddr, { transport: "tcp", hostname: "127.0.0.1", port: 0 });
    assert.deepEqual(seen?.ctx.worker, { id: 7, generation: 3 });
    assert.equal(seen?.ctx.incoming, undefined);
  });

  it("without --ready-path only init() is awaited, and its rejection is final", async () => {
    let probed = false;
    const app: PounceApp = {
      init: () => Promise.reject(new Error("no db")),
      fetch: () => {
        probed = true;
        return new Response("ok");
      },
    };
    await assert.rejects(awaitAppReady({ app, readyPath: "", worker: { id: 0, generation: 0 }, report: () => {} }), /no db/);
    assert.equal(probed, false);
  });

  it("the startup-timeout failure says what the app last answered", () => {
    const r = rig({ workers: "1", "startup-timeout": "2" });
    r.sup.start();
    const w = r.adapter.live(0)[0];
    assert.ok(w);
    w.events.message({ type: "not-ready", detail: "GET /ready answered 503 (try 3)" });
    r.clock.advance(2_000);
    assert.ok(
      r
        .lines()
        .some(
          (l) =>
            l ===
            "Failed to start: worker 0 not ready within startup_timeout (2.0s) — app not ready: GET /ready answered 503 (try 3)",
        ),
      r.lines().join("\n"),
    );
    assert.equal(r.adapter.exitCode, 1);
  });
});
