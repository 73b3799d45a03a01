// The WebSocket echo app, written the way Hono documents it on each runtime (hono/bun, hono/deno,
// @hono/node-server + ws). pounce serves it as it is; ws-raw.mjs serves it on the runtime's own server.
import { Hono } from "hono";

const app = new Hono();
let upgradeWebSocket;
let websocket;
if (globalThis.Bun) ({ upgradeWebSocket, websocket } = await import("hono/bun"));
else if (globalThis.Deno) ({ upgradeWebSocket } = await import("hono/deno"));
else {
  ({ upgradeWebSocket } = await import("@hono/node-server"));
  const { WebSocketServer } = await import("ws");
  websocket = { server: new WebSocketServer({ noServer: true }) };
}
app.get("/", (c) => c.text("ok"));
app.get(
  "/ws",
  upgradeWebSocket(() => ({
    onMessage(event, ws) {
      ws.send(event.data);
    },
  })),
);

export default { fetch: app.fetch, websocket };
