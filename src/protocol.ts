/**
 * The messages between the supervisor and a worker, whatever carries them (cluster IPC,
 * postMessage, a child's IPC channel). Plain JSON-able objects only.
 */
import type { ListenTarget } from "./listen-target.ts";
import type { LogRecord } from "./log.ts";
import type { WorkerCounters } from "./metrics/counters.ts";
import type { TlsMaterial } from "./tls/material.ts";
import type { RequestLimits } from "./worker/limits.ts";

/** Everything a worker needs to start; serialised into the worker at spawn. */
export interface WorkerSpec {
  id: number;
  generation: number;
  /** `serve`: import, bind, report ready. `check`: import and validate only (stop-then-start reloads).
   *  `warm`: load what comes before the app, report `warm`, wait for `assume` (src/worker/warm.ts). */
  mode: "serve" | "check" | "warm";
  /** Absolute path of the file to import. */
  file: string;
  exportName: string;
  /** The entry as the operator typed it, for messages. */
  entryLabel: string;
  /** Absolute working directory to start the worker in (its generation's release directory). */
  cwd: string;
  /** Where to listen (for a unix socket: where this worker binds; for socket activation: the
   *  inherited fd, which the adapter hands the worker as that same fd; see ListenTarget). */
  listen: ListenTarget;
  /** Serve HTTPS with exactly these PEM contents (read and checked by the supervisor); absent: HTTP. */
  tls?: TlsMaterial;
  /** Milliseconds, 0 = off. */
  requestTimeoutMs: number;
  healthCheckPath: string;
  /** The app's readiness path (src/worker/app-readiness.ts); empty: only init() is awaited. */
  readyPath: string;
  /** Answer Prometheus metrics here (src/metrics/); empty when off. */
  metricsPath: string;
  /** Hostile-client limits (src/worker/limits.ts). */
  limits: RequestLimits;
  /** Milliseconds a worker left alone (supervisor gone) gives its in-flight work. */
  orphanTimeoutMs: number;
  /** The supervisor's PID. A worker whose parent is another process was left behind, whether or not
   *  its channel said so: checked every SUPERVISOR_CHECK_MS. */
  supervisorPid: number;
  logFormat: "text" | "json";
  logLevel: "debug" | "info" | "warn" | "error";
  accessLog: boolean;
  /** How often the worker sends a heartbeat from its event loop (supervisor/watchdog.ts). */
  heartbeatMs: number;
  /** Send a heartbeat at once when this many requests have been served (0 = never; the
   *  supervisor's --max-requests limit for this worker, jitter included: supervisor/recycle.ts). */
  maxRequests: number;
  /** Run the worker as this user and group (--user/--group, src/privileges.ts); absent: as the supervisor. */
  uid?: number;
  gid?: number;
}

/** How often a worker checks that its parent is still the supervisor (a channel's close can be
 *  missed: Deno, for one, says nothing of a channel closed while the worker was still loading). */
export const SUPERVISOR_CHECK_MS = 1_000;

export type DrainReason = "reload" | "shutdown" | "replace" | "scale";

/** An adapter's own messages (a flush marker, Node's listener hand-off) travel on the same channel
 *  but are its business: they are defined and filtered in runtimes/_shared/adapter-messages.ts. */
export type SupervisorMessage =
  /** `lastListener`: no other listener takes the port's connections meanwhile (see DrainOrder). */
  | { type: "drain"; reason: DrainReason; timeoutMs: number; lastListener: boolean }
  /** The server is stopping after a shutdown delay: health answers 503, serving goes on. */
  | { type: "unready" }
  /** The answer to a worker's `metrics-request`: the aggregate in Prometheus text format. */
  | { type: "metrics"; id: number; text: string }
  /** A warm worker becomes this worker of a generation (supervisor/warm.ts): start as `spec` says
   *  (its PEM texts stay with the adapter, as at spawn). */
  | { type: "assume"; spec: WorkerSpec };

export type WorkerMessage =
  /** `port`: the bound TCP port (0 for a unix socket or an fd). */
  | { type: "ready"; port: number }
  | { type: "checked" }
  /** A warm worker has loaded what comes before the app and waits for `assume`. */
  | { type: "warm" }
  /** Not ready yet: what the app last answered (init() pending, --ready-path status or error). */
  | { type: "not-ready"; detail: string }
  | { type: "failed"; code: string; message: string }
  | { type: "log"; record: LogRecord }
  /** An error escaped a request (uncaught exception, unhandled rejection): replace me via a drain. */
  | { type: "fatal"; message: string }
  | { type: "draining"; inFlight: number }
  /** Requests in flight now, sent at most once a second and only when the count changed. */
  | { type: "in-flight"; requests: number }
  /** A draining worker's listener is closed: no new connection can reach it any more. */
  | { type: "listener-closed" }
  /** --metrics-path: this worker's counters (once a second, and last before `idle`). */
  | { type: "counters"; counters: WorkerCounters }
  /** A /metrics request arrived here: the aggregate, please (with this worker's counters now). */
  | { type: "metrics-request"; id: number; counters: WorkerCounters }
  /** Sent from the worker's event loop every `heartbeatMs` (a worker stuck in a synchronous loop
   *  or stopped sends none), and at once when `served` reaches `maxRequests`. `rss`: bytes. */
  | { type: "heartbeat"; rss: number; served: number }
  | { type: "idle" };
