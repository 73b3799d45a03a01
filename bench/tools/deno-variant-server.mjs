// Deno.serve with one piece of pounce's Deno request path added ($VARIANT), to attribute its cost.
const variant = Deno.env.get("VARIANT") ?? "raw";
const port = Number(Deno.env.get("PORT"));
let inFlight = 0;
const handlers = {
  raw: () => new Response("Hello, World!"),
  completed: (_req, info) => {
    inFlight++;
    info.completed.then(
      () => inFlight--,
      () => inFlight--,
    );
    return new Response("Hello, World!");
  },
  remoteAddr: (_req, info) => {
    const a = info.remoteAddr;
    const extras = { remoteAddr: { transport: "tcp", hostname: a.hostname, port: a.port } };
    return extras ? new Response("Hello, World!") : null;
  },
  reusePort: () => new Response("Hello, World!"),
  // pounce's admission checks (src/worker/limits.ts), piece by piece:
  hostGet: (req) => (req.headers.get("host") === null ? null : new Response("Hello, World!")),
  headersIterate: (req) => {
    let n = req.method.length + req.url.length;
    for (const [name, value] of req.headers) n += name.length + value.length;
    return n < 0 ? null : new Response("Hello, World!");
  },
  bodyNull: (req) => (req.body === null ? new Response("Hello, World!") : new Response("body")),
  urlRead: (req) => (req.url.length < 0 ? null : new Response("Hello, World!")),
  // admit() as a whole today, and with the head read from Deno's own header list (one call, no sort):
  admitNow: (req) => {
    const h = req.headers;
    if (h.get("host") === null) return null;
    let n = req.method.length + req.url.length + 12;
    for (const [name, value] of h) n += name.length + value.length + 4;
    if (n > 16384 || h.get("content-length") !== null || h.get("transfer-encoding") !== null) return null;
    return new Response("Hello, World!");
  },
  headerList: (req) => {
    const list = innerOf(req.headers).headerList;
    let n = req.method.length + req.url.length + 12;
    let host = false;
    for (const [name, value] of list) {
      n += name.length + value.length + 4;
      if (name.length === 4 && name.toLowerCase() === "host") host = true;
    }
    return !host || n > 16384 ? null : new Response("Hello, World!");
  },
  // The same from the Request's inner request, no Headers object built; and without reading the URL:
  innerList: (req) => (innerHead(req, true) ? new Response("Hello, World!") : null),
  innerListNoUrl: (req) => (innerHead(req, false) ? new Response("Hello, World!") : null),
};
let reqSym;
function innerHead(req, withUrl) {
  reqSym ??= Object.getOwnPropertySymbols(req).find((s) => s.description === "request");
  const inner = req[reqSym];
  let n = req.method.length + (withUrl ? req.url.length : 0) + 12;
  let host = false;
  for (const [name, value] of inner.headerList) {
    n += name.length + value.length + 4;
    if (name.length === 4 && name.toLowerCase() === "host") host = true;
  }
  return host && n <= 16384;
}
let target;
function innerOf(headers) {
  target ??= Object.getOwnPropertySymbols(headers).find((s) => s.description === "header target");
  return headers[target];
}
Deno.serve({ hostname: "127.0.0.1", port, reusePort: variant === "reusePort", onListen() {} }, handlers[variant]);
