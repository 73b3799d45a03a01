// The raw runtime server over TLS, as each runtime documents it: @hono/node-server's serve() with
// http2.createSecureServer({ allowHTTP1 }) (Node), Bun.serve({ tls }), Deno.serve({ cert, key }).
// $TLS_CERT and $TLS_KEY name the PEM files.
import { readFileSync } from "node:fs";
import { app, hostname, port } from "./_app.mjs";

const cert = readFileSync(process.env.TLS_CERT, "utf8");
const key = readFileSync(process.env.TLS_KEY, "utf8");
if (globalThis.Bun) {
  globalThis.Bun.serve({ fetch: app.fetch, port, hostname, tls: { cert, key } });
} else if (globalThis.Deno) {
  globalThis.Deno.serve({ port, hostname, cert, key, onListen() {} }, app.fetch);
} else {
  const { serve } = await import("@hono/node-server");
  const { createSecureServer } = await import("node:http2");
  serve({ fetch: app.fetch, port, hostname, createServer: createSecureServer, serverOptions: { allowHTTP1: true, cert, key } });
}
