/** pounce verify's client side: reading responses off a socket, and the --requests file. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ResponseHead, responseReader } from "../../src/verify/http-response.ts";
import { encodeRequest, parseRequestsFile } from "../../src/verify/request-plan.ts";

function read(chunks: string[], head = false): ResponseHead[] {
  const out: ResponseHead[] = [];
  const feed = responseReader(
    (h) => out.push(h),
    () => head,
  );
  for (const c of chunks) feed(Buffer.from(c, "latin1"));
  return out;
}

describe("verify: response reader", () => {
  it("reads pipelined content-length responses split anywhere, with the deploy tag and Connection: close", () => {
    const a = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Pounce-Verify-Deploy: 3\r\n\r\nhello";
    const b = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno";
    const all = a + b;
    for (let cut = 1; cut < all.length; cut += 7) {
      const got = read([all.slice(0, cut), all.slice(cut)]);
      assert.deepEqual(got, [
        { status: 200, close: false, deploy: 3 },
        { status: 503, close: true, deploy: null },
      ]);
    }
  });

  it("reads chunked bodies to their end (and no further), skips 100 Continue, and HEAD has no body", () => {
    const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n, w\r\n0\r\n\r\n";
    assert.equal(read([chunked, "HTTP/1.1 204 No Content\r\n\r\n"]).length, 2);
    assert.equal(read([chunked.slice(0, -2)]).length, 0, "not complete before the last CRLF");
    assert.deepEqual(read(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"]), [
      { status: 201, close: false, deploy: null },
    ]);
    assert.equal(read(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"], true).length, 1);
  });
});

describe("verify: --requests file", () => {
  it("reads METHOD /path [body] lines, skipping blanks and comments", () => {
    assert.deepEqual(parseRequestsFile('# comment\nGET /\n\nPOST /items {"a": 1}\n', "r.txt"), [
      { method: "GET", path: "/", body: "" },
      { method: "POST", path: "/items", body: '{"a": 1}' },
    ]);
  });

  it("refuses a line that is not METHOD /path, naming the line", () => {
    assert.throws(() => parseRequestsFile("GET /\nfetch me\n", "r.txt"), /--requests r\.txt line 2 must read METHOD \/path/);
    assert.throws(() => parseRequestsFile("# nothing\n", "r.txt"), /holds no request lines/);
  });

  it("a POST carries its body with Content-Length; a GET on a fresh connection asks for close", () => {
    const post = encodeRequest({ method: "POST", path: "/x", body: "abc" }, "127.0.0.1", false).toString();
    assert.match(post, /^POST \/x HTTP\/1\.1\r\n/);
    assert.match(post, /\r\nContent-Length: 3\r\n/);
    assert.ok(post.endsWith("\r\n\r\nabc"));
    assert.match(encodeRequest({ method: "GET", path: "/", body: "" }, "h", true).toString(), /\r\nConnection: close\r\n/);
  });
});
