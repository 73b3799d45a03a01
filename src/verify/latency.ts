/**
 * Latency maths: each answered request's latency runs from its scheduled send time to its answer,
 * so time spent waiting for a connection counts. Nearest-rank percentiles over a time window.
 */
import type { Sample } from "./load-generator.ts";

export const latencyOf = (s: Sample): number => s.done - s.sched;

/** Nearest-rank percentile (p in 0–1) of unsorted values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

export interface Window {
  from: number;
  to: number;
}

export const inWindow = (t: number, w: Window): boolean => t >= w.from && t < w.to;

/** p99 latency of the answered requests scheduled inside any of `include` and outside every `exclude`. */
export function p99Where(samples: Sample[], include: Window[], exclude: Window[] = []): number | null {
  const values: number[] = [];
  for (const s of samples) {
    if (s.status === null) continue;
    if (!include.some((w) => inWindow(s.sched, w)) || exclude.some((w) => inWindow(s.sched, w))) continue;
    values.push(latencyOf(s));
  }
  return percentile(values, 0.99);
}
