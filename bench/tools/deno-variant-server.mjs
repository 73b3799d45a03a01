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
};
Deno.serve({ hostname: "127.0.0.1", port, reusePort: variant === "reusePort", onListen() {} }, handlers[variant]);
