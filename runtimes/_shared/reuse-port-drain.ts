/**
 * The drain mechanics of a worker that owns its own SO_REUSEPORT listener (Bun, Deno), carrying out
 * the core's DrainOrder (DESIGN.md reload step 4, RUNTIMES.md §(b)). The runtime's own stop —
 * Bun's `server.stop()`, Deno's `server.shutdown()` — closes the listener *and* every kept-alive
 * socket with no request in progress, including one a client is reusing right now (a reset,
 * pitfall 1). So:
 *  1. on the order, the listener alone is closed (listener-fd.ts), so new
 *     connections go to the new generation at once (or are refused on a shutdown) while every
 *     connection already here is served; where that is impossible, a reload keeps accepting with
 *     `Connection: close` for the order's accept grace, a shutdown stops at once;
 *  2. the runtime's stop runs when this worker holds no connection, or at the end of the idle grace
 *     (where the server asks for it, `requestsInFlight`: at the first moment after it with no
 *     request in flight, see Deno's server.ts).
 */
import type { DrainOrder } from "../../src/adapter.ts";

/** How often, during the idle grace, the worker looks whether any connection is left. */
const IDLE_POLL_MS = 50;

export interface ReusePortServer {
  /** Close the listening socket alone, leaving the connections; false where it cannot be. `last`:
   *  no other listener takes what is queued on this one (a shutdown, a stop-then-start reload:
   *  DrainOrder.lastListener; listener-fd.ts). */
  closeListenerAlone(last: boolean): boolean;
  /** The runtime's stop (listener, idle sockets; in-flight requests finish); settles when done. */
  stop(): Promise<void>;
  /** Client connections held now (in flight or idle); undefined when that is unknown. */
  held(): number | undefined;
  /** Requests being answered now. Given only where the runtime's stop loses responses still being
   *  made (Deno over HTTP/2): the stop then waits, past the idle grace, until none is in flight
   *  (the core's deadline still ends it). */
  requestsInFlight?(): number;
}

export class ReusePortDrain {
  #server: ReusePortServer;
  #order: (DrainOrder & { at: number }) | undefined;
  #listenerClosed = false;
  #stopping: Promise<void> | undefined;
  #stopped = false;
  #cut = false;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #check: (() => void) | undefined;
  #accepting: { promise: Promise<void>; resolve: () => void };

  constructor(server: ReusePortServer) {
    this.#server = server;
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#accepting = { promise, resolve };
  }

  /** Responses from now on carry `Connection: close`. */
  get draining(): boolean {
    return this.#order !== undefined;
  }

  drain(order: DrainOrder): void {
    this.#order = { ...order, at: this.#order?.at ?? Date.now() };
    if (this.#listenerClosed || this.#stopping) return;
    if (this.#server.closeListenerAlone(order.lastListener)) {
      this.#listenerClosed = true;
      this.#accepting.resolve();
      return;
    }
    // Fallback: the runtime's stop will also close idle sockets, so on a reload first let kept-alive
    // clients see `Connection: close` on a response while new connections are still accepted.
    clearTimeout(this.#graceTimer);
    const wait = this.#order.at + order.acceptGraceMs - Date.now();
    if (wait <= 0) this.#stop();
    else this.#graceTimer = setTimeout(() => this.#stop(), wait);
  }

  async stopAccepting(): Promise<void> {
    await this.#accepting.promise;
    // One turn of the loop lets the close land.
    await new Promise((r) => setTimeout(r, 0));
  }

  closeIdle(): void {
    const order = this.#order;
    if (!order || this.#stopping || this.#idleTimer) return;
    // Stop once no connection is left to wait for (kept-alive clients leave after their
    // `Connection: close` response), or at the end of the idle grace.
    const graceEnd = order.at + order.idleGraceMs;
    const check = () => {
      this.#idleTimer = undefined;
      if (this.#stopping) return;
      if (this.#server.held() === 0) return this.#stop();
      if (Date.now() >= graceEnd && (this.#server.requestsInFlight?.() ?? 0) === 0) return this.#stop();
      // Past the grace (waiting for requests) the poll goes on at its pace; requestFinished() is the fast path.
      const left = graceEnd - Date.now();
      this.#idleTimer = setTimeout(check, left > 0 ? Math.min(IDLE_POLL_MS, left) : IDLE_POLL_MS);
    };
    this.#check = check;
    check();
  }

  /** A request finished: past the idle grace, a stop that waits for requests may go now. */
  requestFinished(): void {
    if (!this.#check || this.#stopping || !this.#server.requestsInFlight) return;
    clearTimeout(this.#idleTimer);
    this.#check();
  }

  /** The deadline: the runtime cuts every connection (or the process exit does). */
  closeAll(cut: () => void): void {
    this.#cut = true;
    this.#listenerClosed = true;
    this.#accepting.resolve();
    cut();
  }

  /** Until the runtime's stop has settled a response may still be leaving: at least one, so the
   *  core lingers (bounded) before the process exits. */
  connections(count: number): number {
    if (this.#stopped || this.#cut) return 0;
    return this.draining ? Math.max(1, count) : count;
  }

  #stop(): void {
    if (this.#stopping) return;
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#idleTimer);
    this.#listenerClosed = true;
    const settle = () => {
      this.#stopped = true;
    };
    this.#stopping = this.#server.stop().then(settle, settle);
    this.#accepting.resolve();
  }
}
