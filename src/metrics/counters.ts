/**
 * A worker's counters, as it sends them to the supervisor (plain JSON), and the worker-side class
 * that keeps them. On the request path only array increments happen: one for the status class,
 * one for the duration bucket, one addition for the sum.
 */

/** Upper bounds of the request-duration histogram, in seconds (Prometheus' client defaults). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Status classes counted: 1xx … 5xx (anything outside 100–599 counts as 5xx). */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

export interface WorkerCounters {
  /** Monotonic, per STATUS_CLASSES entry. */
  requests: number[];
  /** Monotonic, NOT cumulative: one count per DURATION_BUCKETS entry, then one for +Inf. */
  durationBuckets: number[];
  /** Monotonic: seconds summed over every counted request. */
  durationSum: number;
  /** Gauges at the time of the report. */
  inFlight: number;
  connections: number;
  websockets: number;
  /** Resident set size of the worker process, bytes. */
  rss: number;
}

export function emptyCounters(): WorkerCounters {
  return {
    requests: STATUS_CLASSES.map(() => 0),
    durationBuckets: [...DURATION_BUCKETS.map(() => 0), 0],
    durationSum: 0,
    inFlight: 0,
    connections: 0,
    websockets: 0,
    rss: 0,
  };
}

/** The worker's side: counted on the request path, copied out for a report. */
export class RequestCounters {
  readonly requests = STATUS_CLASSES.map(() => 0);
  readonly durationBuckets = [...DURATION_BUCKETS.map(() => 0), 0];
  durationSum = 0;
  /** One finished request: its status and how long the handler took to give its Response (ms). */
  readonly observe = (status: number, ms: number): void => {
    const cls = status >= 100 && status < 600 ? ((status / 100) | 0) - 1 : 4;
    this.requests[cls]++;
    const seconds = ms / 1000;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.durationBuckets[i]++;
    this.durationSum += seconds;
  };

  report(gauges: { inFlight: number; connections: number; websockets: number; rss: number }): WorkerCounters {
    return {
      requests: [...this.requests],
      durationBuckets: [...this.durationBuckets],
      durationSum: this.durationSum,
      inFlight: gauges.inFlight,
      connections: gauges.connections,
      websockets: gauges.websockets,
      rss: gauges.rss,
    };
  }
}
