/**
 * The close policy for a draining worker's open WebSockets (the adapter only counts them and closes
 * them all with the code it is given). The app's `onDrain` runs first, so it can say goodbye in its
 * own words; pounce closes what is left once the grace from the drain order is over and `onDrain`
 * has settled, and never later than one close handshake before the drain deadline:
 *   - 1012 Service Restart on a reload, a replacement or one worker fewer (the service goes on:
 *     reconnect, and the new connection reaches a serving worker);
 *   - 1001 Going Away on a shutdown.
 * A shutdown that overtakes a reload drain changes the code of a close still to come.
 */
import type { DrainInfo } from "../app.ts";
import { type Clock, systemClock } from "../supervisor/clock.ts";

/** From the drain order: how long the app's own goodbye (onDrain) gets before pounce closes. */
export const WEBSOCKET_CLOSE_GRACE_MS = 1_000;
/** Room left before the drain deadline for the close handshake to finish. */
export const WEBSOCKET_CLOSE_HANDSHAKE_MS = 1_000;

export interface WebSocketClose {
  code: number;
  reason: string;
}

export function webSocketCloseFor(reason: DrainInfo["reason"]): WebSocketClose {
  return reason === "shutdown" ? { code: 1001, reason: "Going Away" } : { code: 1012, reason: "Service Restart" };
}

export class WebSocketDrain {
  #closeAll: (close: WebSocketClose) => void;
  #clock: Pick<Clock, "setTimeout" | "clearTimeout">;
  #reason: DrainInfo["reason"] | undefined;
  #graceOver = false;
  #hookDone = false;
  #closed = false;
  #handles: unknown[] = [];

  constructor(closeAll: (close: WebSocketClose) => void, clock: Pick<Clock, "setTimeout" | "clearTimeout"> = systemClock) {
    this.#closeAll = closeAll;
    this.#clock = clock;
  }

  /** Whether pounce has closed the sockets (one opened since is closed at once: see `opened`). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The drain began: `hookDone` settles when the app's onDrain has (at once when there is none). */
  start(reason: DrainInfo["reason"], timeoutMs: number, hookDone: Promise<unknown>): void {
    if (this.#reason !== undefined) {
      this.escalate(reason);
      return;
    }
    this.#reason = reason;
    const latest = Math.max(0, timeoutMs - WEBSOCKET_CLOSE_HANDSHAKE_MS);
    this.#after(Math.min(WEBSOCKET_CLOSE_GRACE_MS, latest), () => {
      this.#graceOver = true;
      this.#maybeClose();
    });
    this.#after(latest, () => this.#close());
    const settled = () => {
      this.#hookDone = true;
      this.#maybeClose();
    };
    hookDone.then(settled, settled);
  }

  /** A shutdown overtook the drain: a close still to come says Going Away. */
  escalate(reason: DrainInfo["reason"]): void {
    if (reason === "shutdown" && this.#reason !== undefined) this.#reason = reason;
  }

  /** A WebSocket opened on this worker (an upgrade on a connection kept alive through the drain). */
  opened(): void {
    if (this.#closed && this.#reason) this.#closeAll(webSocketCloseFor(this.#reason));
  }

  #after(ms: number, fn: () => void): void {
    this.#handles.push(this.#clock.setTimeout(fn, ms));
  }

  #maybeClose(): void {
    if (this.#graceOver && this.#hookDone) this.#close();
  }

  #close(): void {
    if (this.#closed || !this.#reason) return;
    this.#closed = true;
    for (const h of this.#handles) this.#clock.clearTimeout(h);
    this.#closeAll(webSocketCloseFor(this.#reason));
  }
}
