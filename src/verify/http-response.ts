/**
 * A minimal HTTP/1.1 response reader for the load generator: status, the headers verify needs and
 * the end of each response (content-length, chunked, or none for HEAD/204/304). Bodies are skipped.
 */
import { DEPLOY_HEADER } from "./deploy-files.ts";

export interface ResponseHead {
  status: number;
  /** The server asked to close the connection after this response. */
  close: boolean;
  /** The deploy number the wrapper tagged the response with (null: no tag). */
  deploy: number | null;
}

type Body = { kind: "length"; left: number } | { kind: "chunked"; left: number; trailer: boolean } | { kind: "none" };

/**
 * Feed it chunks; it calls `done` once per complete response. `bodiless()` says whether the response
 * now awaited has no body (a HEAD request).
 */
export function responseReader(done: (head: ResponseHead) => void, bodiless: () => boolean): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  let head: ResponseHead | undefined;
  let body: Body = { kind: "none" };
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (!head) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        buf = buf.subarray(end + 4);
        const status = Number((lines[0] ?? "").slice(9, 12));
        const headers = new Map<string, string>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        if (status >= 100 && status < 200 && status !== 101) continue; // 100 Continue: the real one follows
        const tag = headers.get(DEPLOY_HEADER);
        head = {
          status,
          close: /(^|,)\s*close\s*($|,)/i.test(headers.get("connection") ?? ""),
          deploy: tag === undefined ? null : Number(tag),
        };
        const length = headers.get("content-length");
        body =
          bodiless() || status === 204 || status === 304
            ? { kind: "none" }
            : /chunked/i.test(headers.get("transfer-encoding") ?? "")
              ? { kind: "chunked", left: 0, trailer: false }
              : length !== undefined
                ? { kind: "length", left: Number(length) }
                : { kind: "none" };
      }
      if (!readBody()) return;
      const finished = head;
      head = undefined;
      done(finished);
    }
  };

  /** Consume body bytes from buf; true once the body is complete. */
  function readBody(): boolean {
    if (body.kind === "none") return true;
    if (body.kind === "length") {
      const take = Math.min(body.left, buf.length);
      body.left -= take;
      buf = buf.subarray(take);
      return body.left === 0;
    }
    for (;;) {
      if (body.left > 0) {
        const take = Math.min(body.left, buf.length);
        body.left -= take;
        buf = buf.subarray(take);
        if (body.left > 0) return false;
      }
      const eol = buf.indexOf("\r\n");
      if (eol < 0) return false;
      const line = buf.subarray(0, eol).toString("latin1");
      buf = buf.subarray(eol + 2);
      if (body.trailer) {
        if (line === "") return true;
        continue;
      }
      if (body.left === 0 && line === "" && !body.trailer) continue; // the CRLF after a chunk's data
      const size = Number.parseInt(line, 16);
      if (size === 0) body.trailer = true;
      else body.left = size;
    }
  }
}
