/**
 * `Connection: close` on a Web Response, for adapters whose server takes the header from the
 * Response (Bun.serve, Deno.serve): the runtime then closes the socket after this response.
 */
export function withConnectionClose(res: Response, ResponseCtor: typeof Response = Response): Response {
  try {
    res.headers.set("connection", "close");
    return res;
  } catch {
    // Immutable headers (Response.redirect, a proxied fetch response): copy them.
    const headers = new Headers(res.headers);
    headers.set("connection", "close");
    return new ResponseCtor(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}
