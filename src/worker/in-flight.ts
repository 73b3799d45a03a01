/**
 * Drain accounting: requests in flight plus `waitUntil` promises. Drain waits for both to reach zero.
 * Two integer updates per request; nothing else on the request path.
 */
export class InFlight {
  requests = 0;
  background = 0;
  #waiters: Array<() => void> = [];

  readonly started = (): void => {
    this.requests++;
  };

  readonly finished = (): void => {
    this.requests--;
    if (this.requests === 0 && this.background === 0) this.#wake();
  };

  track(promise: Promise<unknown>): void {
    this.background++;
    const done = () => {
      this.background--;
      if (this.requests === 0 && this.background === 0) this.#wake();
    };
    promise.then(done, done);
  }

  get total(): number {
    return this.requests + this.background;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.total === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
