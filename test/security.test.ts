/**
 * What a client can learn: a 500 carries neither the error's message nor its stack (those go to the
 * log only), for a handler that throws, one that rejects and one that returns no Response; the
 * health endpoint reports exactly status, generation, worker and in-flight count.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { describe, it } from "node:test";
import { processesInGroup, request, withPounce, writeApp } from "./_harness.ts";
import { raw } from "./_raw.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const SECRET = "secret-db-password-hunter2";
const APP = `export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/throw") throw new Error("${SECRET} (thrown)");
    if (path === "/reject") return Promise.reject(new Error("${SECRET} (rejected)"));
    if (path === "/sync-throw") { const f = () => { throw new TypeError("${SECRET} (sync)"); }; f(); }
    if (path === "/stream") {
      let timer: any;
      const body = new ReadableStream({
        start(c) { timer = setInterval(() => c.enqueue(new TextEncoder().encode("tick\\n")), 100); },
        cancel() { clearInterval(timer); },
      });
      return new Response(body);
    }
    if (path === "/not-a-response") return { secret: "${SECRET}" } as any;
    return new Response("hello");
  },
};
`;

/** Anything that looks like a stack frame or a source path. */
const STACKISH = /\bat .+:\d+:\d+|\.ts\b|\.mjs\b|node:internal|file:\/\//;

for (const rt of selectedRuntimes()) {
  describe(`security [${rt.name}]`, () => {
    it("a 500 never carries the error's message or stack; the log has them", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP)],
        async (p) => {
          for (const path of ["/throw", "/reject", "/sync-throw", "/not-a-response"]) {
            const r = await request(p.url(path));
            assert.equal(r.status, 500, path);
            const all = `${r.body}\n${JSON.stringify(r.headers)}`;
            assert.ok(!all.includes("secret-db-password"), `${path}: the error's text reached the client: ${all}`);
            assert.doesNotMatch(all, STACKISH, `${path}: a stack or path reached the client: ${all}`);
            assert.equal(r.body.trim(), "Internal Server Error", path);
          }
          await p.waitFor(`${SECRET} (thrown)`);
          await p.waitFor(`${SECRET} (rejected)`);
          await p.waitFor(`${SECRET} (sync)`);
          await p.waitFor("not a Response");
        },
      );
    });

    it("a stream outliving --request-timeout: not cut (the timeout bounds time to the Response), no stack anywhere", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--request-timeout", "1"],
        async (p) => {
          // Read for 2.5 s, well past the 1 s request timeout: the stream goes on (a tick per 100 ms).
          const body = (await raw(p.port, { send: "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", boundMs: 2_500 })).data;
          assert.doesNotMatch(body, STACKISH, `a stack reached the client: ${body}`);
          const ticks = body.match(/tick/g)?.length ?? 0;
          assert.ok(ticks >= 15, `the stream was cut: ${ticks} ticks in 2.5 s`);
          assert.equal((await request(p.url("/"))).status, 200);
          assert.doesNotMatch(p.output, /request_timeout/);
          assert.doesNotMatch(p.output, /\n\s+at \S+ \(|Unhandled|Uncaught/, p.output);
        },
      );
    });

    it("health reveals only status, generation, worker and in-flight count", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--health-check-path", "/healthz"],
        async (p) => {
          const r = await request(p.url("/healthz"));
          assert.equal(r.status, 200);
          const body = JSON.parse(r.body) as Record<string, unknown>;
          assert.deepEqual(Object.keys(body).sort(), ["generation", "in_flight", "status", "worker"]);
          assert.equal(body.status, "ok");
          for (const k of ["generation", "in_flight", "worker"]) assert.equal(typeof body[k], "number", k);
          const head = await request(p.url("/healthz"), { method: "HEAD" });
          assert.equal(head.body, "");
          const names = Object.keys(r.headers).filter(
            (h) => !["date", "connection", "keep-alive", "transfer-encoding"].includes(h),
          );
          assert.deepEqual(names.sort(), ["cache-control", "content-length", "content-type"], JSON.stringify(r.headers));
        },
      );
    });

    it("no control endpoint: pounce's processes listen on the served port only", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "2", "--health-check-path", "/healthz"],
        async (p) => {
          const ours = new Set<string>();
          for (const proc of processesInGroup(p.pid)) {
            let fds: string[] = [];
            try {
              fds = readdirSync(`/proc/${proc.pid}/fd`);
            } catch {
              continue;
            }
            for (const fd of fds) {
              try {
                const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${proc.pid}/fd/${fd}`));
                if (m) ours.add(m[1] as string);
              } catch {}
            }
          }
          const listening: string[] = [];
          for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
            for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
              const c = line.trim().split(/\s+/);
              if (c[3] === "0A" && c[9] && ours.has(c[9]))
                listening.push(`tcp:${Number.parseInt(c[1]?.split(":")[1] ?? "", 16)}`);
            }
          }
          for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
            const c = line.trim().split(/\s+/);
            if (c[3] === "00010000" && c[6] && ours.has(c[6])) listening.push(`unix:${c[7] ?? ""}`);
          }
          assert.ok(ours.size > 0, "no sockets found for pounce's processes");
          assert.deepEqual([...new Set(listening)], [`tcp:${p.port}`], JSON.stringify(listening));
        },
      );
    });
  });
}
