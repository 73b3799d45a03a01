/** --metrics-path: Prometheus text from the supervisor's aggregate, read with a real parser, on every row. */
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { request, waitUntil, withPounce, writeApp } from "./_harness.ts";
import { Metrics } from "./_prometheus.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** Logs every path it is asked for (so a /metrics request reaching it would show), 404 off "/". */
function app(dir: string, version: string): string {
  return writeApp(
    dir,
    "app.ts",
    `export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    console.log("app got " + path);
    if (path === "/slow") await new Promise((r) => setTimeout(r, 1500));
    return path === "/" || path === "/slow" ? new Response(${JSON.stringify(version)}) : new Response("nope", { status: 404 });
  },
};
`,
  );
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: metrics`, () => {
    it("counts requests across workers and reloads, counts reloads by outcome, and stays out of the app and the access log", async () => {
      const args = (dir: string) => [
        app(dir, "v1"),
        "--workers",
        "2",
        "--metrics-path",
        "/metrics",
        "--health-check-path",
        "/health",
        "--access-log",
      ];
      await withPounce(rt, args, async (p, dir) => {
        const scrape = async (): Promise<Metrics> => {
          const res = await request(p.url("/metrics"));
          assert.equal(res.status, 200, res.body);
          assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
          return new Metrics(res.body);
        };
        /** Counts reach the supervisor within a second from the other worker: wait for them. */
        const expectCounts = async (ok: number, notFound: number): Promise<Metrics> => {
          let m = await scrape();
          await waitUntil(
            `2xx=${ok} 4xx=${notFound}`,
            async () => {
              m = await scrape();
              const got = m.value("pounce_http_requests_total", { code: "2xx" });
              assert.ok(got <= ok, `counted ${got} 2xx, only ${ok} sent`);
              return got === ok && m.value("pounce_http_requests_total", { code: "4xx" }) === notFound;
            },
            10_000,
          );
          assert.equal(m.histogram("pounce_http_request_duration_seconds").count, ok + notFound);
          return m;
        };

        let m = await scrape();
        assert.equal(m.value("pounce_http_requests_total", { code: "2xx" }), 0);
        assert.equal(m.value("pounce_generation"), 0);
        assert.equal(m.value("pounce_workers", { state: "ready" }), 2);
        assert.ok(m.value("pounce_resident_memory_bytes", { process: "supervisor" }) > 0);
        let ok = 0;
        const get = async (): Promise<string> => {
          const res = await request(p.url("/"));
          assert.equal(res.status, 200);
          ok++;
          return res.body;
        };
        for (let i = 0; i < 20; i++) assert.equal(await get(), "v1");
        for (let i = 0; i < 5; i++) assert.equal((await request(p.url("/missing"))).status, 404);
        for (let i = 0; i < 3; i++) assert.equal((await request(p.url("/health"))).status, 200); // not counted
        m = await expectCounts(ok, 5);
        assert.ok(m.value("pounce_resident_memory_bytes", { process: "workers" }) > 0);

        // A good reload: the retired workers' counts stay in the totals.
        app(dir, "v2");
        let mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Running 2 worker(s) on generation 1", { from: mark, timeoutMs: 30_000 });
        const afterReload = (await scrape()).value("pounce_http_requests_total", { code: "2xx" });
        assert.ok(afterReload >= 20, `2xx went down across the reload: ${afterReload}`);
        await waitUntil("v2 serves", async () => (await get()) === "v2");
        for (let i = 0; i < 10; i++) await get();
        m = await expectCounts(ok, 5);
        assert.ok(ok >= 31);
        assert.equal(m.value("pounce_generation"), 1);
        assert.equal(m.value("pounce_reloads_total", { outcome: "complete" }), 1);
        assert.equal(m.value("pounce_reloads_total", { outcome: "failed" }), 0);
        assert.ok(m.value("pounce_last_reload_duration_seconds") > 0);
        assert.ok(m.value("pounce_last_reload_time_to_new_code_seconds") > 0);

        // A refused reload: counted as failed, generation 1 keeps serving.
        writeApp(dir, "app.ts", `throw new Error("bad deploy");\n`);
        mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Reload failed", { from: mark, timeoutMs: 30_000 });
        m = await scrape();
        assert.equal(m.value("pounce_reloads_total", { outcome: "failed" }), 1);
        assert.equal(m.value("pounce_reloads_total", { outcome: "complete" }), 1);
        assert.equal(m.value("pounce_generation"), 1);
        assert.equal(await get(), "v2");
        await expectCounts(ok, 5);

        // Never passed to the app, never access-logged; the app's own requests are.
        assert.doesNotMatch(p.output, /app got \/metrics/);
        assert.doesNotMatch(p.output, /GET \/metrics/);
        assert.match(p.output, /app got \/missing/);
        assert.match(p.output, /GET \/missing 404/);
      });
    });

    it("a request that ends during the old worker's drain is counted (its last report before exit)", async () => {
      await withPounce(
        rt,
        (dir) => [app(dir, "v1"), "--metrics-path", "/metrics"],
        async (p, dir) => {
          const slow = request(p.url("/slow"));
          await p.waitFor("app got /slow");
          app(dir, "v2");
          const mark = p.output.length;
          p.signal("SIGHUP");
          assert.equal((await slow).body, "v1");
          await p.waitFor("Running 1 worker(s) on generation 1", { from: mark, timeoutMs: 30_000 });
          // Only the new worker is left: nobody else reports any more.
          const m = new Metrics((await request(p.url("/metrics"))).body);
          assert.equal(m.value("pounce_http_requests_total", { code: "2xx" }), 1);
        },
      );
    });

    it("open connections: idle kept-alive sockets count (Deno: only connections with a request in flight)", async () => {
      await withPounce(
        rt,
        (dir) => [app(dir, "v1"), "--metrics-path", "/metrics"],
        async (p) => {
          const agent = new http.Agent({ keepAlive: true, maxSockets: 3 });
          try {
            // Three requests at once on three sockets, which then stay open, idle.
            await Promise.all([0, 1, 2].map(() => request(p.url("/"), { agent })));
            const m = new Metrics((await request(p.url("/metrics"))).body);
            // The scrape's own connection is open too; the scrape itself is not counted in flight.
            assert.equal(m.value("pounce_open_connections"), rt.name === "deno" ? 1 : 4);
            assert.equal(m.value("pounce_http_requests_in_flight"), 0);
          } finally {
            agent.destroy();
          }
        },
      );
    });

    it("without --metrics-path the path is the app's", async () => {
      await withPounce(
        rt,
        (dir) => [app(dir, "v1")],
        async (p) => {
          const res = await request(p.url("/metrics"));
          assert.equal(res.status, 404);
          await p.waitFor("app got /metrics");
        },
      );
    });
  });
}
