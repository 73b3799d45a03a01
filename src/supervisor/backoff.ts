/**
 * Respawn back-off for workers that keep dying: the first crash in a quiet period is replaced at
 * once (with one worker the port is closed until a replacement listens), later ones wait longer.
 */
const WINDOW_MS = 30_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;

export class Backoff {
  #crashes: number[] = [];

  /** Record a crash now; returns how long to wait before the replacement. */
  next(now = Date.now()): number {
    this.#crashes = this.#crashes.filter((t) => now - t < WINDOW_MS);
    this.#crashes.push(now);
    const recent = this.#crashes.length;
    if (recent <= 1) return 0;
    return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (recent - 2));
  }
}
