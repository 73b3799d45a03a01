/**
 * Drain accounting: requests in flight, open WebSockets and `waitUntil` promises. Drain waits for
 * all three to reach zero. Two integer updates per request; nothing else on the request path.
 */
export class InFlight {
  requests = 0;
  sockets = 0;
  background = 0;
  #waiters: Array<() => void> = [];

  readonly started = (): void => {
    this.requests++;
  };

  readonly finished = (): void => {
    this.requests--;
    this.#check();
  };

  readonly socketOpened = (): void => {
    this.sockets++;
  };

  readonly socketClosed = (): void => {
    this.sockets--;
    this.#check();
  };

  track(promise: Promise<unknown>): void {
    this.background++;
    const done = () => {
      this.background--;
      this.#check();
    };
    promise.then(done, done);
  }

  /** What a client holds open: requests in flight and WebSockets (health, drain lines, status). */
  get active(): number {
    return this.requests + this.sockets;
  }

  get total(): number {
    return this.requests + this.sockets + this.background;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.total === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #check(): void {
    if (this.total === 0 && this.#waiters.length > 0) this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
