/**
 * One worker's lifecycle, whatever the runtime: import the app, serve it, report ready; on a drain
 * order (or when the supervisor vanishes) stop taking work, finish what arrived, report idle, exit.
 * The adapter's WorkerHost supplies the runtime pieces.
 */
import process from "node:process";
import type { DrainOrder, ServerHandle, WorkerHost } from "../adapter.ts";
import { type DrainInfo, type PounceApp, resolveApp } from "../app.ts";
import { describe, errors, PounceError } from "../errors.ts";
import { workerTitle } from "../listen-target.ts";
import { Logger, lineSink } from "../log.ts";
import { WorkerMetrics } from "../metrics/worker-metrics.ts";
import { guardOutput } from "../output-guard.ts";
import type { SupervisorMessage } from "../protocol.ts";
import { trace } from "../startup-trace.ts";
import { awaitAppReady } from "./app-readiness.ts";
import { createPipeline } from "./handler.ts";
import type { HealthState } from "./health.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { InFlight } from "./in-flight.ts";
import { createAdmission, parserLimitsFor } from "./limits.ts";
import { waitToAssume } from "./warm.ts";
import { WebSocketDrain } from "./websocket-drain.ts";

/** How often a worker tells the supervisor its in-flight count, when it changed (pounce status). */
const IN_FLIGHT_REPORT_MS = 1_000;
/** How often a draining worker repeats its progress line. */
const PROGRESS_EVERY_MS = 5_000;
/** After the last response, how long to wait for the client side of closing sockets. */
const SOCKET_LINGER_MS = 1_000;
/** Where a listener closes only together with the idle kept-alive sockets (reusePort fallback): how
 *  long a reload drain keeps accepting with `Connection: close`, so kept-alive clients leave on a
 *  response. A shutdown gets none: nobody else will listen on the port. */
const ACCEPT_GRACE_MS = 1_000;
/** How long after the drain order a kept-alive socket with no request in flight is left open: a
 *  request may be on its way on it (a client reusing it right now would get a reset). */
const IDLE_GRACE_MS = 1_000;

/** The supervisor's drain order as it arrives (or as the worker gives itself one, orphaned). */
type DrainMessage = Extract<SupervisorMessage, { type: "drain" }>;

function drainOrder(reason: DrainInfo["reason"], lastListener: boolean): DrainOrder {
  return { reason, acceptGraceMs: reason === "shutdown" ? 0 : ACCEPT_GRACE_MS, lastListener, idleGraceMs: IDLE_GRACE_MS };
}

export async function runWorker(host: WorkerHost): Promise<void> {
  trace("w-main");
  guardOutput(); // the app's console output and the orphan log go to inherited fds that may be closed
  // A warm worker (--warm-workers) waits here until a reload takes it, then starts as that worker.
  const spec = host.spec.mode === "warm" ? await waitToAssume(host) : host.spec;
  if (!spec) return;
  const who = { worker: spec.id, generation: spec.generation };
  let supervisorGone = false;
  const direct = lineSink(spec.logFormat, (line) => host.writeLine(line));
  const log = new Logger({
    level: spec.logLevel,
    base: who,
    emit: (record) => (supervisorGone ? direct(record) : host.send({ type: "log", record })),
  });
  host.setTitle(workerTitle(spec.id, spec.generation, spec.entryLabel, spec.listen));

  const fail = (err: unknown, fallbackCode: string): void => {
    const code = err instanceof PounceError ? err.code : fallbackCode;
    host.send({ type: "failed", code, message: describe(err) });
    host.exit(1);
  };

  let fatalReported = false;
  host.onFatal((err) => {
    log.error(`Uncaught error outside a request: ${describe(err)}`, {
      event: "worker_fatal",
      stack: err instanceof Error ? err.stack : undefined,
    });
    if (!fatalReported && !supervisorGone) {
      fatalReported = true;
      host.send({ type: "fatal", message: describe(err) });
    }
  });

  // Both hooks are registered before the import: a supervisor that dies (or a drain order that
  // arrives) while the app is still loading must not leave a worker that binds the port afterwards.
  let ready = false;
  let early: DrainMessage | undefined;
  let drain = (order: DrainMessage): void => {
    early = order.reason === "shutdown" || !early ? order : early;
  };
  let unready = false;
  let unreadyHealth: HealthState | undefined;
  let metrics: WorkerMetrics | undefined;
  host.onMessage((msg: SupervisorMessage) => {
    if (msg.type === "drain") drain(msg);
    else if (msg.type === "metrics") metrics?.reply(msg.id, msg.text);
    else if (msg.type === "unready") {
      unready = true;
      if (unreadyHealth) unreadyHealth.shuttingDown = true;
    }
  });
  host.onSupervisorGone(() => {
    supervisorGone = true;
    if (!ready) {
      // Not serving yet: nothing to finish, and no supervisor would ever route to or stop this worker.
      log.warn(`Worker ${spec.id}: supervisor is gone before this worker was ready — exiting`, { event: "orphaned" });
      return host.exit(0);
    }
    log.warn(`Worker ${spec.id}: supervisor is gone — finishing in-flight work and exiting`, { event: "orphaned" });
    drain({ type: "drain", reason: "shutdown", timeoutMs: spec.orphanTimeoutMs, lastListener: true });
  });

  let app: PounceApp;
  try {
    const mod = await host.importApp(spec.file);
    trace("w-app-imported");
    app = resolveApp(mod, spec.exportName, spec.entryLabel);
  } catch (err) {
    if (err instanceof PounceError) return fail(err, "E_IMPORT");
    // Only a failed import needs it (and node:path, node:url): not loaded into every worker.
    const { describeImportFailure } = await import("./import-error.ts");
    return fail(errors.importFailed(spec.entryLabel, describeImportFailure(err, process.cwd())), "E_IMPORT");
  }
  try {
    await awaitAppReady({
      app,
      readyPath: spec.readyPath,
      worker: { id: spec.id, generation: spec.generation },
      report: (detail) => host.send({ type: "not-ready", detail }),
    });
  } catch (err) {
    return fail(errors.initFailed(spec.entryLabel, describe(err)), "E_INIT");
  }
  if (spec.mode === "check") {
    host.send({ type: "checked" });
    return host.exit(0);
  }

  const inFlight = new InFlight();
  const health: HealthState = {
    shuttingDown: unready,
    generation: spec.generation,
    worker: spec.id,
    inFlight: () => inFlight.active,
  };
  unreadyHealth = health;
  if (spec.metricsPath)
    metrics = new WorkerMetrics({
      send: (m) => host.send(m),
      inFlight: () => inFlight.requests,
      websockets: () => inFlight.sockets,
    });
  let server: ServerHandle;
  const webSockets = new WebSocketDrain(({ code, reason }) => server.closeWebSockets(code, reason));
  let countServed = (): void => {};
  try {
    server = await host.serve({
      listen: spec.listen,
      ...(spec.tls ? { tls: spec.tls } : {}),
      handle: createPipeline({
        app,
        log,
        inFlight,
        health,
        healthCheckPath: spec.healthCheckPath,
        requestTimeoutMs: spec.requestTimeoutMs,
        accessLog: spec.accessLog,
        admission: createAdmission(spec.limits, parserLimitsFor(host.parserLimits, spec.tls !== undefined)),
        worker: { id: spec.id, generation: spec.generation },
        metrics,
        metricsPath: spec.metricsPath,
      }),
      requestStarted: () => {
        inFlight.started();
        countServed();
      },
      requestFinished: inFlight.finished,
      webSocket: app.websocket,
      socketOpened: () => {
        inFlight.socketOpened();
        webSockets.opened();
      },
      socketClosed: inFlight.socketClosed,
      limits: spec.limits,
    });
  } catch (err) {
    return fail(err, "E_LISTEN");
  }
  if (supervisorGone) return host.exit(0);
  ready = true;
  if (metrics) {
    const s = server;
    metrics.connections = () => s.connections();
    metrics.startReporting();
  }
  trace("w-listening");
  host.send({ type: "ready", port: server.port });
  const heartbeat = startHeartbeat((m) => supervisorGone || host.send(m), spec.heartbeatMs, spec.maxRequests);
  countServed = heartbeat.served;
  let reported = 0;
  const inFlightReport = setInterval(() => {
    const now = inFlight.active;
    if (now === reported || supervisorGone) return;
    reported = now;
    host.send({ type: "in-flight", requests: now });
  }, IN_FLIGHT_REPORT_MS);

  let draining: DrainInfo["reason"] | undefined;
  drain = ({ reason, timeoutMs, lastListener }) => {
    // A shutdown that overtakes a reload drain turns health to 503 and ends any accept grace; the
    // drain already under way goes on.
    if (reason === "shutdown") health.shuttingDown = true;
    webSockets.escalate(reason);
    if (draining === "shutdown" || (draining && reason !== "shutdown")) return;
    // First, before any logging or IPC: the listener stops the moment the order arrives.
    server.drain(drainOrder(reason, lastListener));
    const first = draining === undefined;
    draining = reason;
    if (first) void drainWork(reason, timeoutMs);
  };
  const drainWork = async (reason: DrainInfo["reason"], timeoutMs: number): Promise<void> => {
    const expired = new AbortController();
    // The supervisor force-stops at timeoutMs; this later self-deadline matters when it is gone.
    const selfDeadline = setTimeout(() => expired.abort(), timeoutMs + 1_000);
    let hookDone: Promise<unknown> = Promise.resolve();
    if (app.onDrain) {
      const hook = app.onDrain;
      hookDone = Promise.resolve()
        .then(() => hook({ reason, timeoutMs, signal: expired.signal }))
        .catch((err) => log.error(`onDrain hook failed: ${describe(err)}`, { event: "drain_hook_error" }));
      inFlight.track(hookDone);
    }
    // Open WebSockets: onDrain's goodbye first, then pounce's close (websocket-drain.ts).
    webSockets.start(reason, timeoutMs, hookDone);
    const active = inFlight.active;
    if (active > 0)
      log.info(`Worker ${spec.id} draining ${active} active connection(s)...`, { event: "worker_draining", in_flight: active });
    else log.info(`Worker ${spec.id} shutting down (no active connections)`, { event: "worker_draining", in_flight: 0 });
    host.send({ type: "draining", inFlight: active });

    const progress = setInterval(() => {
      if (inFlight.active > 0)
        log.info(`Worker ${spec.id} draining ${inFlight.active} active connection(s)...`, {
          event: "worker_draining",
          in_flight: inFlight.active,
        });
    }, PROGRESS_EVERY_MS);
    const deadline = new Promise<void>((resolve) => expired.signal.addEventListener("abort", () => resolve()));

    await Promise.race([server.stopAccepting(), deadline]);
    if (!expired.signal.aborted) host.send({ type: "listener-closed" });
    server.closeIdle();
    await Promise.race([inFlight.idle(), deadline]);
    clearInterval(progress);
    if (expired.signal.aborted) {
      log.warn(`Worker ${spec.id} still had ${inFlight.total} request(s) in flight at its deadline — closing`, {
        event: "worker_deadline",
      });
      server.closeAll();
    }
    // Let the last `Connection: close` responses reach their clients before the process goes.
    server.closeIdle();
    const lingerUntil = Date.now() + SOCKET_LINGER_MS;
    while (server.connections() > 0 && Date.now() < lingerUntil) await sleep(20);
    clearTimeout(selfDeadline);
    clearInterval(inFlightReport);
    metrics?.final();
    heartbeat.stop();
    host.send({ type: "idle" });
    host.exit(0);
  };

  if (early) drain(early);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
