/**
 * Entry point of a Node worker process (forked by the cluster primary). Builds the WorkerHost the
 * core's runWorker needs from cluster IPC, process signals and @hono/node-server.
 */
import cluster from "node:cluster";
import type { WorkerHost } from "../../src/adapter.ts";
import type { SupervisorMessage, WorkerMessage, WorkerSpec } from "../../src/protocol.ts";
import { runWorker } from "../../src/worker/worker.ts";
import { importApp } from "./load.ts";
import { serveNode } from "./server.ts";

const spec = JSON.parse(process.env.POUNCE_WORKER_SPEC ?? "null") as WorkerSpec | null;
if (!spec || typeof process.send !== "function") {
  process.stderr.write("pounce: this file is started by the pounce supervisor, not by hand\n");
  process.exit(2);
}

// node:cluster makes a worker exit at once when the primary's channel closes unexpectedly (the
// supervisor was SIGKILLed). Marking the disconnect as expected keeps the worker alive so it can
// finish its in-flight requests first (onSupervisorGone below).
if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;

// Workers take orders from the supervisor only: Ctrl-C's SIGINT to the process group, or a SIGTERM
// sent to every process of a unit, must not make them quit on their own (the supervisor drains them).
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const) process.on(sig, () => {});

let connected = true;
const handlers: Array<(msg: SupervisorMessage) => void> = [];
let acceptStopped: (() => void) | undefined;

process.on("message", (msg: SupervisorMessage) => {
  if (msg?.type === "accept-stopped") {
    acceptStopped?.();
    return;
  }
  for (const h of handlers) h(msg);
});

const send = (msg: WorkerMessage): void => {
  if (!connected || !process.connected) return;
  try {
    process.send?.(msg);
  } catch {
    // channel closed under us; the disconnect handler takes over
  }
};

const host: WorkerHost = {
  spec,
  send,
  onMessage: (h) => handlers.push(h),
  onSupervisorGone(h) {
    process.once("disconnect", () => {
      connected = false;
      acceptStopped?.();
      h();
    });
  },
  onFatal(h) {
    process.on("uncaughtException", h);
    process.on("unhandledRejection", h);
  },
  importApp,
  serve: (opts) =>
    serveNode(opts, {
      confirmStopped: () =>
        new Promise<void>((resolve) => {
          if (!connected || !process.connected) return resolve();
          acceptStopped = resolve;
          send({ type: "stop-accepting" });
        }),
    }),
  setTitle(title) {
    process.title = title;
  },
  writeLine(line) {
    process.stderr.write(line);
  },
  exit(code) {
    // Let queued IPC (the last log lines, "idle") reach the supervisor before the process ends.
    if (connected && process.connected) process.send?.({ type: "log-flush" } as never, () => process.exit(code));
    else process.exit(code);
  },
};

await runWorker(host);
