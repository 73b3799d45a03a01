/**
 * The WebSockets open on one worker, for the adapters: each runtime says when one opens and when it
 * has closed (the core's `socketOpened`/`socketClosed` hear it), and the core's close order reaches
 * every socket still open with the code it gives.
 */
export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

export class OpenSockets<S extends ClosableSocket> {
  readonly #open = new Set<S>();
  readonly #opened: () => void;
  readonly #closed: () => void;
  #waiters: Array<() => void> = [];

  constructor(opened: () => void, closed: () => void) {
    this.#opened = opened;
    this.#closed = closed;
  }

  add(socket: S): void {
    if (this.#open.has(socket)) return;
    this.#open.add(socket);
    this.#opened();
  }

  delete(socket: S): void {
    if (!this.#open.delete(socket)) return;
    this.#closed();
    if (this.#open.size === 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  readonly closeAll = (code: number, reason: string): void => {
    for (const socket of this.#open) {
      try {
        socket.close(code, reason);
      } catch {
        // Already closing: its close event still comes.
      }
    }
  };

  /** Resolves once no socket is open. */
  allClosed(): Promise<void> {
    return this.#open.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}
