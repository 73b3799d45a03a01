/**
 * One reload per burst of changes: an editor's save is often several events (write a temp file,
 * rename it over the original, touch a backup), and "save all" touches many files at once. The
 * burst ends once no change came for `quietMs`; a stream of changes that never pauses still fires
 * after `maxWaitMs`. Time comes from a Clock so unit tests drive it.
 */
import type { Clock } from "../supervisor/clock.ts";

/** Quiet time that ends a burst: an atomic save's events come within a few ms of each other. */
export const QUIET_MS = 150;
/** Longest a burst may hold its reload back. */
export const MAX_WAIT_MS = 1_000;

export class Debounce {
  readonly #clock: Clock;
  readonly #fire: (paths: string[]) => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  #burst: { paths: Set<string>; since: number } | undefined;
  #timer: unknown;

  /** `fire` gets the burst's distinct paths, in the order they first changed. */
  constructor(clock: Clock, fire: (paths: string[]) => void, quietMs = QUIET_MS, maxWaitMs = MAX_WAIT_MS) {
    this.#clock = clock;
    this.#fire = fire;
    this.#quietMs = quietMs;
    this.#maxWaitMs = maxWaitMs;
  }

  /** A change that counts (already filtered) at `path`. */
  push(path: string): void {
    const now = this.#clock.now();
    this.#burst ??= { paths: new Set(), since: now };
    this.#burst.paths.add(path);
    const at = Math.min(now + this.#quietMs, this.#burst.since + this.#maxWaitMs);
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.#flush(), Math.max(0, at - now));
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#burst = undefined;
  }

  #flush(): void {
    const burst = this.#burst;
    this.#timer = undefined;
    this.#burst = undefined;
    if (burst) this.#fire([...burst.paths]);
  }
}
