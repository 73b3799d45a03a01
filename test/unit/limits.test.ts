/** The request limits' policy: defaults and the size option's parsing, and what the admission step
 *  refuses (no Host, a large Content-Length, an oversize head where the parser has no cap, a chunked
 *  body that grows past the limit). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import {
  BodyTooLargeError,
  createAdmission,
  type HeaderList,
  parserLimitsFor,
  type RequestLimits,
} from "../../src/worker/limits.ts";

const LIMITS: RequestLimits = { headerTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxBodyBytes: 1024, maxHeaderBytes: 2048 };
const NO_PARSER = { headerSize: false, chunkedBody: false, host: false };

function chunked(parts: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent++ === parts) return c.close();
      c.enqueue(new Uint8Array(size));
    },
  });
}

/** A POST with Transfer-Encoding: chunked and `parts` chunks of `size` bytes. */
function chunkedRequest(parts: number, size: number): Request {
  return new Request("http://x/", {
    method: "POST",
    headers: { host: "x", "transfer-encoding": "chunked" },
    body: chunked(parts, size),
    duplex: "half",
  } as RequestInit);
}

describe("limit options", () => {
  it("defaults: 10 s header, 5 s keep-alive, 4 MiB body, 16 KiB head", () => {
    const c = resolveConfig("app.ts", {}, {});
    assert.deepEqual([c.headerTimeout, c.keepAliveTimeout, c.maxBodySize, c.maxHeaderSize], [10, 5, 4 * 1024 ** 2, 16 * 1024]);
  });
  it("sizes take units; flag beats env beats file", () => {
    assert.equal(resolveConfig("a.ts", { "max-body-size": "512KiB" }, {}).maxBodySize, 512 * 1024);
    assert.equal(resolveConfig("a.ts", {}, { POUNCE_MAX_BODY_SIZE: "2m" }).maxBodySize, 2 * 1024 ** 2);
    assert.equal(resolveConfig("a.ts", {}, {}, { file: "f", values: { maxBodySize: 100 } }).maxBodySize, 100);
    assert.equal(resolveConfig("a.ts", {}, {}, { file: "f", values: { maxHeaderSize: "8KiB" } }).maxHeaderSize, 8192);
    assert.equal(resolveConfig("a.ts", { "max-header-size": "1.5k" }, {}).maxHeaderSize, 1536);
  });
  it("a bad size or timeout is one line naming the option", () => {
    for (const bad of ["0", "-1", "lots", "4 parsecs", ""]) {
      assert.throws(
        () => resolveConfig("a.ts", { "max-body-size": bad }, {}),
        /--max-body-size must be a positive size in bytes/,
      );
    }
    assert.throws(
      () => resolveConfig("a.ts", { "header-timeout": "0" }, {}),
      /--header-timeout must be a positive number of seconds/,
    );
    assert.throws(
      () => resolveConfig("a.ts", {}, { POUNCE_KEEP_ALIVE_TIMEOUT: "x" }),
      /POUNCE_KEEP_ALIVE_TIMEOUT must be a positive/,
    );
  });
});

describe("admission", () => {
  const admit = createAdmission(LIMITS, NO_PARSER);
  it("no Host: 400 with Connection: close", () => {
    const r = admit.admit(new Request("http://x/", { headers: {} }));
    assert.ok(r instanceof Response);
    assert.equal(r.status, 400);
    assert.equal(r.headers.get("connection"), "close");
  });
  it("passes an ordinary request through untouched", () => {
    const req = new Request("http://x/", { headers: { host: "x" } });
    assert.equal(admit.admit(req), req);
  });
  it("Content-Length above the limit: 413 without reading; at the limit: passed through", () => {
    const big = new Request("http://x/", { method: "POST", headers: { host: "x", "content-length": "1025" }, body: "a" });
    const r = admit.admit(big);
    assert.ok(r instanceof Response && r.status === 413);
    const ok = new Request("http://x/", {
      method: "POST",
      headers: { host: "x", "content-length": "1024" },
      body: "a".repeat(1024),
    });
    assert.equal(admit.admit(ok), ok);
  });
  it("an oversize head is 431 only where the parser has no cap", () => {
    const req = new Request("http://x/", { headers: { host: "x", "x-big": "a".repeat(3000) } });
    const r = admit.admit(req);
    assert.ok(r instanceof Response && r.status === 431);
    assert.equal(createAdmission(LIMITS, { headerSize: true, chunkedBody: false, host: false }).admit(req), req);
  });
  it("a chunked body is cut once past the limit, and the request is marked", async () => {
    const req = chunkedRequest(5, 300);
    const capped = admit.admit(req) as Request;
    assert.ok(capped instanceof Request && capped !== req);
    await assert.rejects(
      capped.text(),
      (e: unknown) =>
        e instanceof BodyTooLargeError || (e as Error)?.cause instanceof BodyTooLargeError || /max_body_size/.test(String(e)),
    );
    assert.equal(admit.overflowed(capped), true);
  });
  it("a chunked body within the limit reads whole", async () => {
    const req = chunkedRequest(3, 300);
    const capped = admit.admit(req) as Request;
    assert.equal((await capped.arrayBuffer()).byteLength, 900);
    assert.equal(admit.overflowed(capped), false);
  });
});

describe("admission over TLS", () => {
  it("leaves the Host rule to the runtime (an HTTP/2 Request shows no Host); plain HTTP keeps pounce's", () => {
    const noHost = new Request("https://127.0.0.1:8443/x");
    assert.equal(noHost.headers.get("host"), null);
    const overTls = createAdmission(LIMITS, parserLimitsFor(NO_PARSER, true)).admit(noHost);
    assert.equal(overTls, noHost);
    const plain = createAdmission(LIMITS, parserLimitsFor(NO_PARSER, false)).admit(noHost);
    assert.ok(plain instanceof Response && plain.status === 400);
    // Bun's server has no HTTP/2: over TLS its Host-less requests are HTTP/1.0, and refused.
    const h1 = createAdmission(LIMITS, parserLimitsFor({ ...NO_PARSER, http1Only: true }, true)).admit(noHost);
    assert.ok(h1 instanceof Response && h1.status === 400);
  });
});

describe("admission from the parser's own header list (Node, Deno)", () => {
  const lists = new WeakMap<Request, HeaderList>();
  const parser = { ...NO_PARSER, headerList: (r: Request) => lists.get(r) ?? null };
  const admit = createAdmission(LIMITS, parser);
  /** A request whose Headers must never be built: the list is all admission may read. */
  function listed(pairs: [string, string][], init: RequestInit = {}): Request {
    const req = new Request("http://x/", init);
    lists.set(req, pairs); // Deno's shape; Node's flat one below
    Object.defineProperty(req, "headers", {
      get() {
        throw new Error("admission built the Headers although the parser's list was given");
      },
    });
    return req;
  }
  it("reads Host, Content-Length and Transfer-Encoding in any case, without building Headers", () => {
    const ok = listed([
      ["Host", "x"],
      ["Accept", "*/*"],
    ]);
    assert.equal(admit.admit(ok), ok);
    const noHost = admit.admit(listed([["hosts", "x"]]));
    assert.ok(noHost instanceof Response && noHost.status === 400);
    const big = admit.admit(
      listed(
        [
          ["HOST", "x"],
          ["Content-Length", "1025"],
        ],
        { method: "POST", body: "a" },
      ),
    );
    assert.ok(big instanceof Response && big.status === 413);
    const fits = listed(
      [
        ["host", "x"],
        ["content-length", "1024"],
      ],
      { method: "POST", body: "a" },
    );
    assert.equal(admit.admit(fits), fits);
  });
  it("a repeated Content-Length is no number, so it is refused as Headers.get would have it", () => {
    const r = admit.admit(
      listed(
        [
          ["host", "x"],
          ["content-length", "10"],
          ["Content-Length", "10"],
        ],
        { method: "POST", body: "a" },
      ),
    );
    assert.ok(r instanceof Response && r.status === 413);
  });
  it("the head's size is the list's: 431 past max_header_size", () => {
    const r = admit.admit(
      listed([
        ["host", "x"],
        ["x-big", "a".repeat(3000)],
      ]),
    );
    assert.ok(r instanceof Response && r.status === 431);
    const many = admit.admit(
      listed([["host", "x"], ...Array.from({ length: 300 }, (_, i): [string, string] => [`x-${i}`, "v"])]),
    );
    assert.ok(many instanceof Response && many.status === 431);
  });
  it("a chunked body named in the list is capped", async () => {
    const req = chunkedRequest(5, 300);
    lists.set(req, ["Host", "x", "Transfer-Encoding", "chunked"]);
    const capped = admit.admit(req) as Request;
    assert.ok(capped instanceof Request && capped !== req);
    await assert.rejects(capped.text());
    assert.equal(admit.overflowed(capped), true);
  });
  it("where the parser refuses a large Content-Length itself (Bun), admission does not look", () => {
    const bun = createAdmission(LIMITS, { headerSize: true, chunkedBody: true, host: false, bodyLength: true });
    const req = new Request("http://x/", { method: "POST", headers: { host: "x", "content-length": "1025" }, body: "a" });
    assert.equal(bun.admit(req), req);
  });
  it("a runtime without the list (null) gets the same checks from the public Headers", () => {
    const none = createAdmission(LIMITS, { ...NO_PARSER, headerList: () => null });
    const r = none.admit(new Request("http://x/", { headers: { host: "x", "x-big": "a".repeat(3000) } }));
    assert.ok(r instanceof Response && r.status === 431);
  });
});

describe("Node's header list", () => {
  it("is the IncomingMessage's rawHeaders; without one (an upgrade's extras) the Headers path", async () => {
    const { nodeParserLimits } = await import("../../runtimes/node/limits.ts");
    const raw = ["Host", "x", "Content-Length", "5000"];
    assert.equal(nodeParserLimits.headerList?.(new Request("http://x/"), { incoming: { rawHeaders: raw } }), raw);
    assert.equal(nodeParserLimits.headerList?.(new Request("http://x/"), {}), null);
    const r = createAdmission(LIMITS, nodeParserLimits).admit(new Request("http://x/"), { incoming: { rawHeaders: raw } });
    assert.ok(r instanceof Response && r.status === 413);
  });
});

describe("Bun's Host check", () => {
  /** A request as Bun.serve builds it: `url` absolute from the Host, a bare path without one. */
  function bunRequest(url: string, headers: Record<string, string> | null): Request {
    return {
      method: "GET",
      url,
      get headers() {
        if (!headers) throw new Error("admission built the Headers although the url told it");
        return new Headers(headers);
      },
    } as unknown as Request;
  }
  it("an absolute url means Host was sent: no Headers built; a bare path asks the Headers", async () => {
    const { bunParserLimits } = await import("../../runtimes/bun/limits.ts");
    const admit = createAdmission(LIMITS, bunParserLimits);
    const withHost = bunRequest("http://x/a", null);
    assert.equal(admit.admit(withHost), withHost);
    const noHost = admit.admit(bunRequest("/a", {}));
    assert.ok(noHost instanceof Response && noHost.status === 400);
    // An empty Host (legal where the target has no authority) leaves Bun's url bare too: admitted.
    const emptyHost = bunRequest("/a", { host: "" });
    assert.equal(admit.admit(emptyHost), emptyHost);
  });
  it("the health path is found in a bare-path url (an HTTP/1.0 probe without Host)", async () => {
    const { pathOf } = await import("../../src/worker/health.ts");
    assert.equal(pathOf("/healthz?x=1"), "/healthz");
    assert.equal(pathOf("/"), "/");
    assert.equal(pathOf("http://x:80/healthz#h"), "/healthz");
    assert.equal(pathOf("http://x"), "/");
  });
});
