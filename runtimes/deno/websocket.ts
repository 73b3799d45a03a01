/**
 * WebSockets on Deno: the app upgrades with `Deno.upgradeWebSocket(request)` itself (hono/deno's
 * `upgradeWebSocket`, crossws's Deno adapter), on the very Request Deno gave (the core passes an
 * upgrade through unchanged). The worker wraps `Deno.upgradeWebSocket` once, before serving, to count
 * each socket from its `open` to its `close` and keep it, so the core can have them all closed with
 * one code. The app's own `onclose` then runs with that code.
 */
import { OpenSockets } from "../_shared/open-sockets.ts";
import { Deno } from "./deno-api.ts";

export interface DenoWebSockets {
  closeAll(code: number, reason: string): void;
  /** Resolves once no WebSocket is open: Deno's `server.shutdown()` would close them itself with
   *  1001 "Server shutting down", before the core's own close, so the drain's stop waits for this. */
  allClosed(): Promise<void>;
}

export function denoWebSockets(opened: () => void, closed: () => void): DenoWebSockets {
  const open = new OpenSockets<WebSocket>(opened, closed);
  const upgrade = Deno.upgradeWebSocket.bind(Deno);
  Deno.upgradeWebSocket = (request, options) => {
    const upgraded = upgrade(request, options);
    const socket = upgraded.socket;
    socket.addEventListener("open", () => open.add(socket));
    socket.addEventListener("close", () => open.delete(socket));
    return upgraded;
  };
  return { closeAll: open.closeAll, allClosed: () => open.allClosed() };
}
