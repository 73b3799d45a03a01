/**
 * The worker's heartbeat: sent from its event loop every `heartbeatMs`, so a worker stuck in a
 * synchronous loop, or stopped, goes silent (the supervisor's watchdog acts on that). It carries
 * the requests served so far and the resident memory, which the supervisor checks against its
 * recycling limits; when `served` reaches the worker's request limit it beats at once, so the limit
 * is exact. Counting is one increment per request.
 */
import process from "node:process";
import type { WorkerMessage } from "../protocol.ts";

export interface Heartbeat {
  /** Call once per request, as it starts. */
  readonly served: () => void;
  stop(): void;
}

export function startHeartbeat(send: (msg: WorkerMessage) => void, everyMs: number, maxRequests: number): Heartbeat {
  let served = 0;
  const beat = () => send({ type: "heartbeat", rss: process.memoryUsage.rss(), served });
  const timer = setInterval(beat, everyMs);
  return {
    served: () => {
      served++;
      if (served === maxRequests) beat();
    },
    stop: () => clearInterval(timer),
  };
}
