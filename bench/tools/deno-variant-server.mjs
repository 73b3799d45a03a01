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
};
Deno.serve({ hostname: "127.0.0.1", port, reusePort: variant === "reusePort", onListen() {} }, handlers[variant]);
