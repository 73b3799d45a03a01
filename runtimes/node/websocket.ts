/**
 * WebSockets on Node, the way @hono/node-server 2.x documents them: the app makes a `ws`
 * `WebSocketServer({ noServer: true })` and hands it over — to `serve({ websocket: { server } })`
 * there, as `export default { fetch: app.fetch, websocket: { server: wss } }` here. The upgrade
 * handling is @hono/node-server's own (its createAdaptorServer, given pounce's http.Server), so
 * `upgradeWebSocket` from '@hono/node-server' works unchanged; the upgrade request runs through the
 * core pipeline like any other. This file counts each socket from its `connection` to its `close`
 * and keeps it, so the core can have them all closed with one code.
 *
 * The other shape is crossws's Node adapter (`crossws(options)` from 'crossws/adapters/node'), or
 * anything like it: `handleUpgrade(req, socket, head)` gets Node's `upgrade` event as it comes
 * (crossws's own `upgrade` hook decides; the app's fetch does not see it) and `closeAll(code,
 * reason)` closes its sockets. Each upgraded connection counts from the event to its socket's close.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { createAdaptorServer, type WebSocketLike, type WebSocketServerLike } from "@hono/node-server";
import type { RequestExtras } from "../../src/adapter.ts";
import { errors } from "../../src/errors.ts";

type Fetch = (request: Request, extras: RequestExtras) => Response | Promise<Response>;

/** The client's address in Deno's shape (a unix socket's client has none). */
export function remoteAddrOf(incoming: IncomingMessage): RequestExtras["remoteAddr"] {
  const s = incoming.socket;
  if (s.remoteAddress === undefined && s.remotePort === undefined) return { transport: "unix", path: "" };
  return { transport: "tcp", hostname: s.remoteAddress ?? "", port: s.remotePort ?? 0 };
}

export interface NodeWebSockets {
  closeAll(code: number, reason: string): void;
}

export function nodeWebSockets(
  server: Server,
  config: unknown,
  fetch: Fetch,
  opened: () => void,
  closed: () => void,
): NodeWebSockets {
  const open = new Set<WebSocketLike & { close(code?: number, reason?: string): void }>();
  const closeAll = (code: number, reason: string) => {
    for (const ws of open) ws.close(code, reason);
  };
  if (config === undefined || config === null) return { closeAll };
  if (isUpgradeHandler(config)) return rawUpgrades(server, config, opened, closed);
  const wss = (config as { server?: WebSocketServerLike }).server;
  if (!wss || typeof wss.handleUpgrade !== "function" || typeof wss.on !== "function" || wss.options?.noServer !== true)
    throw errors.webSocketExport();
  // @hono/node-server attaches its `upgrade` handling to the server its factory returns: pounce's.
  createAdaptorServer({
    // The env object @hono/node-server builds for an upgrade carries what its upgradeWebSocket
    // reads back (the ws server, a waiter): it must reach the app as the context itself.
    fetch: ((request: Request, env: Record<string | symbol, unknown>) => {
      Object.defineProperty(env, "remoteAddr", { get: () => remoteAddrOf(env.incoming as IncomingMessage), configurable: true });
      return fetch(request, env as unknown as RequestExtras);
    }) as never,
    websocket: { server: wss },
    createServer: (() => server) as never,
  });
  wss.on("connection", (ws: WebSocketLike, _request: IncomingMessage) => {
    const socket = ws as WebSocketLike & { close(code?: number, reason?: string): void; once(e: "close", f: () => void): void };
    open.add(socket);
    opened();
    socket.once("close", () => {
      if (open.delete(socket)) closed();
    });
  });
  return { closeAll };
}

/** crossws's Node adapter shape: it handles Node's `upgrade` event itself and can close its sockets. */
interface UpgradeHandler {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): unknown;
  closeAll(code?: number, reason?: string): void;
}

function isUpgradeHandler(config: object): config is UpgradeHandler {
  const c = config as Partial<UpgradeHandler>;
  return !("server" in config) && typeof c.handleUpgrade === "function" && typeof c.closeAll === "function";
}

function rawUpgrades(server: Server, handler: UpgradeHandler, opened: () => void, closed: () => void): NodeWebSockets {
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    opened();
    socket.once("close", closed);
    void Promise.resolve()
      .then(() => handler.handleUpgrade(request, socket, head))
      .catch(() => socket.destroy());
  });
  return { closeAll: (code, reason) => handler.closeAll(code, reason) };
}
