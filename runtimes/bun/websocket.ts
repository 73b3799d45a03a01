/**
 * WebSockets on Bun: the app's exported `websocket` handler (hono/bun's `websocket`, crossws's
 * `websocket`, or Bun's own shape) goes to `Bun.serve` unchanged but for `open`/`close`, wrapped to
 * count the open sockets and keep them, so the core can have them all closed with one code. The
 * app's `fetch` gets the real server as `ctx.server` for `server.upgrade()`, whose method is wrapped
 * to remember which requests it took: a handler that then returns nothing (Bun's own shape) is no
 * error.
 */
import { OpenSockets } from "../_shared/open-sockets.ts";
import type { BunServer, BunServerWebSocket, BunWebSocketHandler } from "./bun-api.ts";

export interface BunWebSockets {
  /** What goes to Bun.serve's `websocket` option; undefined when the app exports none. */
  handler: BunWebSocketHandler | undefined;
  closeAll(code: number, reason: string): void;
}

/** Requests whose connection `server.upgrade()` took (the server's own method, wrapped once). */
const upgradedRequests = new WeakSet<Request>();
/** Whether any request was upgraded yet (until then no lookup per request). */
let upgrades = false;

export function trackUpgrades(server: BunServer): void {
  const upgrade = server.upgrade;
  if (typeof upgrade !== "function") return;
  server.upgrade = function (this: BunServer, request: Request, options?: unknown): boolean {
    const taken = upgrade.call(this, request, options);
    if (taken) {
      upgrades = true;
      upgradedRequests.add(request);
    }
    return taken;
  };
}

export function wasUpgraded(request: Request): boolean {
  return upgrades && upgradedRequests.has(request);
}

export function bunWebSockets(app: unknown, opened: () => void, closed: () => void): BunWebSockets {
  const open = new OpenSockets<BunServerWebSocket>(opened, closed);
  // Bun checks the handler itself (its own error names the missing piece).
  if (!app || typeof app !== "object") return { handler: undefined, closeAll: open.closeAll };
  const own = app as BunWebSocketHandler;
  const handler: BunWebSocketHandler = {
    ...own,
    open(ws) {
      open.add(ws);
      return own.open?.call(own, ws);
    },
    close(ws, code, reason) {
      open.delete(ws);
      return own.close?.call(own, ws, code, reason);
    },
  };
  return { handler, closeAll: open.closeAll };
}
