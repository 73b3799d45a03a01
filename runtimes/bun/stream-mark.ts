/**
 * Knowing which responses stream, without touching `response.body` (in Bun, reading `.body` of a
 * string- or Blob-bodied Response turns it into a stream and loses its default content-type). The
 * worker installs, before the app is imported, a transparent subclass as the global `Response` that
 * remembers in a WeakSet each response constructed with a ReadableStream or async-iterable body
 * (hono's `c.body(stream)`, `streamSSE`, `new Response(stream)`, subclasses alike). A response that
 * came from `fetch()` (a proxy) has a `url` and a network stream body: it counts as streaming too.
 * `instanceof Response`, `Response.json()` and `Response.redirect()` behave as before.
 */
const streaming = new WeakSet<object>();
export const OriginalResponse: typeof Response = globalThis.Response;

function isStreamBody(body: unknown): boolean {
  if (body === null || typeof body !== "object") return false;
  if (body instanceof ReadableStream) return true;
  return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

let installed = false;
export function installStreamMark(): void {
  if (installed) return;
  installed = true;
  // A subclass, not a Proxy: a Proxy's construct trap cost 0.5-1.3 us per `new Response` in Bun,
  // the subclass 0.01-0.08 us (1M constructions, bench in docs/bun.md).
  class Response extends OriginalResponse {
    constructor(body?: BodyInit | null, init?: ResponseInit) {
      super(body, init);
      if (isStreamBody(body)) streaming.add(this);
    }
    // Responses built elsewhere (fetch(), Response.json(), clone()) stay `instanceof Response`.
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof OriginalResponse;
    }
  }
  globalThis.Response = Response as typeof globalThis.Response;
}

/** Whether this response's body is a stream whose end pounce must wait for. */
export function isStreaming(res: Response): boolean {
  return streaming.has(res) || (res.url !== "" && res.body !== null);
}
