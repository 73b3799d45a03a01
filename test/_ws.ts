/**
 * WebSocket helpers for the black-box suite: the echo app written the way Hono documents it for
 * each runtime (hono/bun, hono/deno, @hono/node-server + ws), and a client on Node 24's global
 * WebSocket that records what it saw.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Runtime } from "./_runtimes.ts";

/** Per runtime, the import and the export Hono's docs give for WebSockets. */
function flavour(rt: Runtime): { head: string; exports: string } {
  if (rt.name === "bun") return { head: `import { upgradeWebSocket, websocket } from "hono/bun";`, exports: "websocket," };
  if (rt.name === "deno") return { head: `import { upgradeWebSocket } from "hono/deno";`, exports: "" };
  return {
    head: `import { upgradeWebSocket } from "@hono/node-server";
import { WebSocketServer } from "ws";
const wss = new WebSocketServer({ noServer: true });`,
    exports: "websocket: { server: wss },",
  };
}

/**
 * `/ws`: greets with `hello <version>`, echoes `<version>:<message>`, logs `APP-ONCLOSE <code>`;
 * its onDrain sends `goodbye <reason>` on every open socket (and logs APP-GOODBYE). `/` answers the
 * version, `/sse?n=&ms=` streams n events ms apart.
 */
export function wsApp(rt: Runtime, dir: string, version: string, opts: { withoutExport?: boolean } = {}): string {
  const { head, exports: full } = flavour(rt);
  const exports = opts.withoutExport ? "" : full;
  const file = join(dir, "app.ts");
  writeFileSync(
    file,
    `import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
${head}
const VERSION = ${JSON.stringify(version)};
const sockets = new Set<{ send(s: string): void }>();
const app = new Hono();
app.get("/", (c) => c.text(VERSION));
app.get(
  "/ws",
  upgradeWebSocket(() => ({
    onOpen(_e, ws) {
      sockets.add(ws);
      ws.send("hello " + VERSION);
    },
    onMessage(e, ws) {
      ws.send(VERSION + ":" + String(e.data));
    },
    onClose(e, ws) {
      sockets.delete(ws);
      console.log("APP-ONCLOSE " + e.code);
    },
  })),
);
app.get("/sse", (c) =>
  streamSSE(c, async (s) => {
    const n = Number(c.req.query("n") ?? 5);
    const ms = Number(c.req.query("ms") ?? 200);
    for (let i = 0; i < n; i++) {
      await s.writeSSE({ data: VERSION + " " + i });
      await s.sleep(ms);
    }
  }),
);
export default {
  fetch: app.fetch,
  ${exports}
  onDrain(info: { reason: string }) {
    console.log("APP-GOODBYE " + info.reason + " " + sockets.size);
    for (const ws of sockets) ws.send("goodbye " + info.reason);
  },
};
`,
  );
  return file;
}

export interface WsClient {
  ws: WebSocket;
  /** Every message, in order. */
  messages: string[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Set if the connection failed (refused, reset before open). */
  error?: string;
}

export function connect(port: number, path = "/ws"): WsClient {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const client: WsClient = {
    ws,
    messages: [],
    opened: Promise.resolve(),
    closed: Promise.resolve({ code: 0, reason: "", at: 0 }),
  };
  let wasOpen = false;
  client.opened = new Promise((resolve, reject) => {
    ws.addEventListener("open", () => {
      wasOpen = true;
      resolve();
    });
    ws.addEventListener("error", () => {
      if (!wasOpen) {
        client.error = "error before open";
        reject(new Error(`ws to ${port}${path} failed before open`));
      }
    });
  });
  client.opened.catch(() => {});
  client.closed = new Promise((resolve) =>
    ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason, at: Date.now() })),
  );
  ws.addEventListener("message", (e) => client.messages.push(String(e.data)));
  return client;
}

/** The same echo with unjs crossws, glued per runtime the way its adapters document (no Hono). */
export function crosswsApp(rt: Runtime, dir: string, version: string): string {
  const adapter = rt.name === "bun" ? "bun" : rt.name === "deno" ? "deno" : "node";
  const glue =
    adapter === "bun"
      ? `fetch(request: Request, ctx: { server: never }) {
    if (request.headers.get("upgrade") === "websocket") return ws.handleUpgrade(request, ctx.server);
    return new Response(VERSION);
  },
  websocket: ws.websocket,`
      : adapter === "deno"
        ? `fetch(request: Request, ctx: never) {
    if (request.headers.get("upgrade") === "websocket") return ws.handleUpgrade(request, ctx);
    return new Response(VERSION);
  },`
        : `fetch() {
    return new Response(VERSION);
  },
  websocket: ws,`;
  const file = join(dir, "app.ts");
  writeFileSync(
    file,
    `import crossws from "crossws/adapters/${adapter}";
const VERSION = ${JSON.stringify(version)};
const peers = new Set<{ send(s: string): void }>();
const ws = crossws({
  hooks: {
    open(peer) {
      peers.add(peer);
      peer.send("hello " + VERSION);
    },
    message(peer, message) {
      peer.send(VERSION + ":" + message.text());
    },
    close(peer) {
      peers.delete(peer);
      console.log("CROSSWS-CLOSE");
    },
  },
});
export default {
  ${glue}
  onDrain(info: { reason: string }) {
    for (const peer of peers) peer.send("goodbye " + info.reason);
  },
};
`,
  );
  return file;
}
