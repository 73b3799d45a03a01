/**
 * Time, injected: the supervisor reads `now()` and arms one alarm through a Clock, so unit tests
 * drive every deadline with a fake clock at millisecond speed.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One timer for the earliest deadline in the state; re-armed only when that deadline changes. */
export class Alarm {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #at: number | undefined;
  #handle: unknown;

  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Wake at `at` (ms since the epoch), or never when undefined. */
  set(at: number | undefined): void {
    if (at === this.#at) return;
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = at;
    if (at === undefined) return;
    this.#handle = this.#clock.setTimeout(
      () => {
        this.#handle = undefined;
        this.#at = undefined;
        this.#fire();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }
}
