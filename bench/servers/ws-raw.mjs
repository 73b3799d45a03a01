// ws-echo.mjs on the runtime's own server, the way Hono's docs start it there.
import { hostname, port } from "./_app.mjs";
import echo from "./ws-echo.mjs";

if (globalThis.Bun) Bun.serve({ fetch: echo.fetch, websocket: echo.websocket, port, hostname });
else if (globalThis.Deno) Deno.serve({ port, hostname, onListen() {} }, echo.fetch);
else {
  const { serve } = await import("@hono/node-server");
  serve({ fetch: echo.fetch, websocket: echo.websocket, port, hostname });
}
