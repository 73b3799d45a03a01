/**
 * Hostile clients on every runtime row, with raw sockets: the header timeout (silent, half-sent and
 * slowloris connections), the keep-alive timeout, the body and header size limits, a request without
 * Host, and what each runtime's parser does with bare-LF line endings.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { request, withPounce, writeApp } from "./_harness.ts";
import { assertClosedWithin, raw, statusOf } from "./_raw.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const APP = `export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      console.log("APP-BODY-READ-STARTED " + request.headers.get("content-length"));
      const body = await request.text();
      return new Response("read " + body.length + "\\n");
    }
    return new Response("hello\\n");
  },
};
`;

const HEADER_S = 2;
const KEEP_ALIVE_S = 2;
/** Lower and upper bounds around a 2 s timeout: the reaper ticks, Node checks, a loaded machine. */
const EARLIEST = 1_500;
const LATEST = 6_000;
const LIMIT_ARGS = [
  "--header-timeout",
  String(HEADER_S),
  "--keep-alive-timeout",
  String(KEEP_ALIVE_S),
  "--max-body-size",
  "1KiB",
  "--max-header-size",
  "4KiB",
  "--health-check-path",
  "/healthz",
];

/** What each runtime's parser answers to a request with bare-LF line endings (pounce cannot see them). */
const BARE_LF: Record<string, number> = { node20: 400, node24: 400, bun: 505, deno: 200 };
/** A chunked body with an invalid chunk size, and one whose size overflows 64 bits (0: closed, no answer). */
const BAD_CHUNK: Record<string, number> = { node20: 400, node24: 400, bun: 400, deno: 0 };
const HUGE_CHUNK: Record<string, number> = { node20: 400, node24: 400, bun: 400, deno: 0 };

for (const rt of selectedRuntimes()) {
  describe(`limits [${rt.name}]`, () => {
    it("closes slow and idle connections at the timeouts, refuses oversize and Host-less requests", async () => {
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), ...LIMIT_ARGS],
        async (p) => {
          const port = p.port;
          const head = "GET / HTTP/1.1\r\nHost: x\r\n";
          const [idle, half, slowloris, keptAlive, bigLength, chunked, bigHeader, noHost, bareLf, ok] = await Promise.all([
            raw(port, {}),
            raw(port, { send: head }),
            // One header line every 300 ms, never the blank line: 20 lines would take 6 s.
            raw(port, { send: head, drip: Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: 1\r\n`), everyMs: 300 }),
            raw(port, { send: `${head}\r\n` }),
            raw(port, { send: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\nabc" }),
            raw(port, {
              send: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
              drip: Array.from({ length: 10 }, () => `100\r\n${"a".repeat(256)}\r\n`),
              everyMs: 50,
            }),
            raw(port, { send: `${head}X-Big: ${"a".repeat(8_000)}\r\nConnection: close\r\n\r\n` }),
            raw(port, { send: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n" }),
            raw(port, { send: "GET / HTTP/1.1\nHost: x\nConnection: close\n\n" }),
            raw(port, { send: `${head}Connection: close\r\n\r\n` }),
          ]);
          const chunkedHead = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
          const [badChunk, hugeChunk, http10, probe10] = await Promise.all([
            raw(port, { send: `${chunkedHead}zz\r\nabc\r\n0\r\n\r\n`, boundMs: 5_000 }),
            raw(port, { send: `${chunkedHead}ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n`, boundMs: 5_000 }),
            raw(port, { send: "GET / HTTP/1.0\r\n\r\n", boundMs: 5_000 }),
            // A load balancer's HTTP/1.0 probe without Host (HAProxy's `option httpchk` sends one).
            raw(port, { send: "GET /healthz HTTP/1.0\r\n\r\n", boundMs: 5_000 }),
          ]);
          assert.equal(statusOf(badChunk.data), BAD_CHUNK[rt.name], `invalid chunk size on ${rt.name}: ${badChunk.data}`);
          assert.equal(statusOf(hugeChunk.data), HUGE_CHUNK[rt.name], `overflowing chunk size on ${rt.name}: ${hugeChunk.data}`);
          for (const r of [badChunk, hugeChunk])
            assert.ok(r.closedAfterMs !== null, "a bad chunked body left its connection open");
          // HTTP/1.0 without Host is legal, but pounce cannot tell the version on Deno: 400 everywhere.
          assert.equal(statusOf(http10.data), 400, http10.data);
          assert.equal(statusOf(probe10.data), 200, `HTTP/1.0 health probe without Host: ${probe10.data}`);
          assert.match(probe10.data, /"status":"ok"/);
          console.log(
            `limits [${rt.name}]: closed after (ms) idle ${idle.closedAfterMs}, half head ${half.closedAfterMs}, slowloris ${slowloris.closedAfterMs}, kept-alive idle ${(keptAlive.closedAfterMs ?? 0) - (keptAlive.firstByteMs ?? 0)}; 413 for Content-Length in ${bigLength.closedAfterMs}`,
          );
          // Header timeout: nothing, half a head, a head that never ends.
          assertClosedWithin("idle connection", idle.closedAfterMs, EARLIEST, LATEST);
          assertClosedWithin("half a head", half.closedAfterMs, EARLIEST, LATEST);
          assertClosedWithin("slowloris", slowloris.closedAfterMs, EARLIEST, LATEST);
          for (const r of [idle, half, slowloris]) assert.ok(statusOf(r.data) === 0 || statusOf(r.data) === 408, r.data);
          // Keep-alive: answered at once, then closed about KEEP_ALIVE_S later.
          assert.equal(statusOf(keptAlive.data), 200, keptAlive.data);
          assert.ok(keptAlive.firstByteMs !== null && keptAlive.closedAfterMs !== null, "kept-alive: no answer or never closed");
          assertClosedWithin("kept-alive idle", keptAlive.closedAfterMs - keptAlive.firstByteMs, EARLIEST, LATEST);
          // Bodies: 413 without reading a 10 GB body, and a chunked body cut once past 1 KiB.
          assert.equal(statusOf(bigLength.data), 413, bigLength.data);
          assertClosedWithin("413 for Content-Length", bigLength.closedAfterMs, 0, EARLIEST);
          assert.equal(statusOf(chunked.data), 413, chunked.data);
          assert.ok(chunked.closedAfterMs !== null, "chunked overflow: connection left open");
          // Heads: oversize, and no Host.
          assert.equal(statusOf(bigHeader.data), 431, bigHeader.data);
          assert.equal(statusOf(noHost.data), 400, noHost.data);
          assert.equal(statusOf(bareLf.data), BARE_LF[rt.name], `bare LF on ${rt.name}: ${bareLf.data}`);
          assert.equal(statusOf(ok.data), 200, ok.data);
          assert.equal((await request(p.url("/"))).status, 200);
          // The 10 GB request never reached the app; the chunked one did.
          assert.ok(
            !p.output.includes("APP-BODY-READ-STARTED 10000000000"),
            `the app was called for the 10 GB body:\n${p.output}`,
          );
          assert.ok(p.output.includes("APP-BODY-READ-STARTED null"), "the chunked request never reached the app");
        },
      );
    });

    if (rt.name === "bun")
      it("Bun: a header timeout above Bun's own fixed ~10 s is cut to it (Bun closes a connection without a head itself)", async () => {
        await withPounce(
          rt,
          (dir) => [writeApp(dir, "app.ts", APP), "--header-timeout", "30"],
          async (p) => {
            const idle = await raw(p.port, { boundMs: 20_000 });
            console.log(`limits [bun]: --header-timeout 30: idle connection closed after ${idle.closedAfterMs} ms`);
            assert.ok(
              idle.closedAfterMs !== null && idle.closedAfterMs >= 8_000 && idle.closedAfterMs <= 16_000,
              String(idle.closedAfterMs),
            );
          },
        );
      });
  });
}
