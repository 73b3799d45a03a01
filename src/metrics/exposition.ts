/**
 * The aggregate as Prometheus text exposition (format 0.0.4): HELP and TYPE lines, one sample per
 * line. Names start with `pounce_`; the HTTP ones follow the usual `http_` naming.
 */
import process from "node:process";
import type { Snapshot } from "../supervisor/snapshot.ts";
import type { MetricsAggregate } from "./aggregate.ts";
import { DURATION_BUCKETS, STATUS_CLASSES } from "./counters.ts";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const WORKER_STATES = ["starting", "ready", "draining"] as const;

export function exposition(m: MetricsAggregate, state: Snapshot, supervisorRss = process.memoryUsage.rss()): string {
  const t = m.totals();
  const life = m.lifecycle;
  const out: string[] = [];
  const family = (name: string, type: "counter" | "gauge" | "histogram", help: string, samples: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };

  family(
    "pounce_http_requests_total",
    "counter",
    "HTTP requests answered by the app, by status class (all workers and generations).",
    STATUS_CLASSES.map((code, i) => `pounce_http_requests_total{code="${code}"} ${t.requests[i]}`),
  );
  let cumulative = 0;
  const buckets = DURATION_BUCKETS.map((le, i) => {
    cumulative += t.durationBuckets[i] ?? 0;
    return `pounce_http_request_duration_seconds_bucket{le="${le}"} ${cumulative}`;
  });
  cumulative += t.durationBuckets[DURATION_BUCKETS.length] ?? 0;
  family("pounce_http_request_duration_seconds", "histogram", "Time until the app's Response, in seconds.", [
    ...buckets,
    `pounce_http_request_duration_seconds_bucket{le="+Inf"} ${cumulative}`,
    `pounce_http_request_duration_seconds_sum ${t.durationSum}`,
    `pounce_http_request_duration_seconds_count ${cumulative}`,
  ]);
  family("pounce_http_requests_in_flight", "gauge", "Requests in flight, as workers last reported.", [
    `pounce_http_requests_in_flight ${t.inFlight}`,
  ]);
  family("pounce_open_connections", "gauge", "Open client connections, as workers last reported.", [
    `pounce_open_connections ${t.connections}`,
  ]);
  family("pounce_open_websockets", "gauge", "Open WebSockets, as workers last reported.", [
    `pounce_open_websockets ${t.websockets}`,
  ]);
  family("pounce_generation", "gauge", "The generation serving now (-1 before the first is ready).", [
    `pounce_generation ${state.active ?? -1}`,
  ]);
  const byState = (s: string) => state.workers.filter((w) => w.mode === "serve" && w.status === s).length;
  family(
    "pounce_workers",
    "gauge",
    "Worker processes by state.",
    WORKER_STATES.map((s) => `pounce_workers{state="${s}"} ${byState(s)}`),
  );
  family("pounce_reloads_total", "counter", "Reloads by outcome (failed: refused, the serving generation kept).", [
    `pounce_reloads_total{outcome="complete"} ${life.reloads.complete}`,
    `pounce_reloads_total{outcome="failed"} ${life.reloads.failed}`,
  ]);
  if (life.lastReloadSeconds !== undefined)
    family("pounce_last_reload_duration_seconds", "gauge", "Last completed reload: from its start to the old generation gone.", [
      `pounce_last_reload_duration_seconds ${life.lastReloadSeconds}`,
    ]);
  if (life.lastTimeToNewCodeSeconds !== undefined)
    family(
      "pounce_last_reload_time_to_new_code_seconds",
      "gauge",
      "Last reload: from the request (signal, file change, command) to every new connection reaching the new code.",
      [`pounce_last_reload_time_to_new_code_seconds ${life.lastTimeToNewCodeSeconds}`],
    );
  family("pounce_drains_force_stopped_total", "counter", "Workers force-stopped at their drain deadline.", [
    `pounce_drains_force_stopped_total ${life.forceStopped}`,
  ]);
  family("pounce_worker_restarts_total", "counter", "Serving workers replaced, by cause.", [
    `pounce_worker_restarts_total{cause="crash"} ${life.restarts.crash}`,
    `pounce_worker_restarts_total{cause="start_failed"} ${life.restarts.start_failed}`,
    `pounce_worker_restarts_total{cause="fatal"} ${life.restarts.fatal}`,
  ]);
  family("pounce_resident_memory_bytes", "gauge", "Resident set size: the supervisor, and its live workers summed.", [
    `pounce_resident_memory_bytes{process="supervisor"} ${supervisorRss}`,
    `pounce_resident_memory_bytes{process="workers"} ${t.rss}`,
  ]);
  return `${out.join("\n")}\n`;
}
