/**
 * The request limits over TLS, on every runtime row, with raw TLS sockets: a TCP connection that
 * never starts its handshake, a handshake and then nothing, half a head, a slowloris head, an idle
 * kept-alive connection, an oversize body and head. A limit that holds on plain HTTP and not on
 * HTTPS is no limit: a hostile client only has to speak TLS.
 */
import assert from "node:assert/strict";
import { connect } from "node:http2";
import { describe, it } from "node:test";
import { type Certs, makeCerts } from "./_certs.ts";
import { withPounce, writeApp } from "./_harness.ts";
import { httpsRequest } from "./_https.ts";
import { assertClosedWithin, raw, statusOf } from "./_raw.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const APP = `export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === "/quiet") {
      // A stream quiet for longer than the keep-alive timeout (SSE between events): never cut by it.
      const body = new ReadableStream({
        async start(c) {
          c.enqueue(new TextEncoder().encode("a"));
          await new Promise((r) => setTimeout(r, 3000));
          c.enqueue(new TextEncoder().encode("b"));
          c.close();
        },
      });
      return new Response(body);
    }
    if (request.method === "POST") return new Response("read " + (await request.text()).length + "\\n");
    return new Response("hello\\n");
  },
};
`;
/** Bounds around the 2 s timeouts, as in limits.test.ts: reaper ticks, Node's checks, a loaded machine. */
const EARLIEST = 1_500;
const LATEST = 6_000;

/** An HTTP/1.1 request without Host over TLS (README's hostile-clients table: Deno's parser has no rule). */
const NO_HOST: Record<string, number> = { node20: 400, node24: 400, bun: 400, deno: 200 };
/** Whether the runtime's server speaks HTTP/2 (Bun's is HTTP/1.1 only). */
const H2: Record<string, boolean> = { node20: true, node24: true, bun: false, deno: true };

/** An HTTP/2 session that opens and then sends nothing: ms until the server closed it (null: open at 15 s). */
function idleH2Session(port: number, ca: string): Promise<number | null> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const session = connect(`https://127.0.0.1:${port}`, { ca });
    const bound = setTimeout(() => {
      session.destroy();
      resolve(null);
    }, 15_000);
    session.on("error", () => {});
    session.once("close", () => {
      clearTimeout(bound);
      resolve(Date.now() - t0);
    });
  });
}

/** One HTTP/2 GET: the body, or the error's code. */
function h2Get(port: number, ca: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const session = connect(`https://127.0.0.1:${port}`, { ca });
    session.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    const req = session.request({ ":path": path });
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    req.on("end", () => {
      session.close();
      resolve(body);
    });
  });
}

for (const rt of selectedRuntimes()) {
  describe(`limits over TLS [${rt.name}]`, () => {
    it("closes slow and idle TLS connections at the timeouts and refuses oversize requests", async () => {
      let certs!: Certs;
      await withPounce(
        rt,
        (dir) => [
          writeApp(dir, "app.ts", APP),
          "--tls-cert",
          (certs = makeCerts(dir)).leaf("leaf", "A1"),
          "--tls-key",
          certs.keyFile,
          "--header-timeout",
          "2",
          "--keep-alive-timeout",
          "2",
          "--max-body-size",
          "1KiB",
          "--max-header-size",
          "4KiB",
        ],
        async (p) => {
          const ca = certs.caPem;
          const head = "GET / HTTP/1.1\r\nHost: x\r\n";
          const [tcpOnly, silent, half, slowloris, keptAlive, bigLength, bigHeader, noHost, ok, h2Idle, quiet, quietH2] =
            await Promise.all([
              raw(p.port, { tlsCa: ca, noHandshake: true }),
              raw(p.port, { tlsCa: ca }),
              raw(p.port, { tlsCa: ca, send: head }),
              raw(p.port, {
                tlsCa: ca,
                send: head,
                drip: Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: 1\r\n`),
                everyMs: 300,
              }),
              raw(p.port, { tlsCa: ca, send: `${head}\r\n` }),
              raw(p.port, { tlsCa: ca, send: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\nabc" }),
              raw(p.port, { tlsCa: ca, send: `${head}X-Big: ${"a".repeat(8_000)}\r\nConnection: close\r\n\r\n` }),
              raw(p.port, { tlsCa: ca, send: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n" }),
              raw(p.port, { tlsCa: ca, send: `${head}Connection: close\r\n\r\n` }),
              H2[rt.name] ? idleH2Session(p.port, ca) : Promise.resolve(0),
              httpsRequest(`https://127.0.0.1:${p.port}/quiet`, ca),
              H2[rt.name] ? h2Get(p.port, ca, "/quiet") : Promise.resolve("ab"),
            ]);
          console.log(
            `limits over TLS [${rt.name}]: closed after (ms) no handshake ${tcpOnly.closedAfterMs}, handshake only ${silent.closedAfterMs}, half head ${half.closedAfterMs}, slowloris ${slowloris.closedAfterMs}, kept-alive idle ${(keptAlive.closedAfterMs ?? 0) - (keptAlive.firstByteMs ?? 0)}, idle h2 session ${h2Idle}`,
          );
          assertClosedWithin("TCP connection without a handshake", tcpOnly.closedAfterMs, EARLIEST, LATEST);
          assertClosedWithin("handshake, then nothing", silent.closedAfterMs, EARLIEST, LATEST);
          assertClosedWithin("half a head", half.closedAfterMs, EARLIEST, LATEST);
          assertClosedWithin("slowloris", slowloris.closedAfterMs, EARLIEST, LATEST);
          assert.equal(statusOf(keptAlive.data), 200, keptAlive.data);
          assert.ok(keptAlive.firstByteMs !== null && keptAlive.closedAfterMs !== null, "kept-alive: no answer or never closed");
          assertClosedWithin("kept-alive idle", keptAlive.closedAfterMs - keptAlive.firstByteMs, EARLIEST, LATEST);
          assert.equal(statusOf(bigLength.data), 413, bigLength.data);
          assert.equal(statusOf(bigHeader.data), 431, bigHeader.data);
          assert.equal(statusOf(noHost.data), NO_HOST[rt.name], `no Host over TLS on ${rt.name}: ${noHost.data}`);
          assert.equal(statusOf(ok.data), 200, ok.data);
          if (H2[rt.name]) assertClosedWithin("idle HTTP/2 session", h2Idle, EARLIEST, LATEST);
          assert.equal(quiet.body, "ab", "a quiet HTTPS/1.1 stream was cut");
          assert.equal(quietH2, "ab", "a quiet HTTP/2 stream was cut");
          assert.equal((await httpsRequest(`https://127.0.0.1:${p.port}/`, ca)).status, 200);
          // HTTP/1.0 without Host is legal; over TLS the Host rule is the parser's where HTTP/2 is spoken.
          const http10 = await raw(p.port, { tlsCa: ca, send: "GET / HTTP/1.0\r\n\r\n", boundMs: 5_000 });
          assert.equal(
            statusOf(http10.data),
            H2[rt.name] ? 200 : 400,
            `HTTP/1.0 without Host over TLS on ${rt.name}: ${http10.data}`,
          );
        },
      );
    });
  });
}
