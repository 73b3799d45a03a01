/**
 * WebSockets on Deno: the app upgrades with `Deno.upgradeWebSocket(request)` itself (hono/deno's
 * `upgradeWebSocket`, crossws's Deno adapter), on the very Request Deno gave (the core passes an
 * upgrade through unchanged). The worker wraps `Deno.upgradeWebSocket` once, before serving, to count
 * each socket from its `open` to its `close` and keep it, so the core can have them all closed with
 * one code. The app's own `onclose` then runs with that code.
 */
import { Deno } from "./deno-api.ts";

export interface DenoWebSockets {
  closeAll(code: number, reason: string): void;
  /** Resolves once no WebSocket is open: Deno's `server.shutdown()` would close them itself with
   *  1001 "Server shutting down", before the core's own close, so the drain's stop waits for this. */
  allClosed(): Promise<void>;
}

export function denoWebSockets(opened: () => void, closed: () => void): DenoWebSockets {
  const open = new Set<WebSocket>();
  const waiters: Array<() => void> = [];
  const upgrade = Deno.upgradeWebSocket.bind(Deno);
  Deno.upgradeWebSocket = (request, options) => {
    const upgraded = upgrade(request, options);
    const socket = upgraded.socket;
    socket.addEventListener("open", () => {
      open.add(socket);
      opened();
    });
    socket.addEventListener("close", () => {
      if (!open.delete(socket)) return;
      closed();
      if (open.size === 0) for (const wake of waiters.splice(0)) wake();
    });
    return upgraded;
  };
  return {
    closeAll(code, reason) {
      for (const socket of open) if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
    },
    allClosed() {
      return open.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
  };
}
