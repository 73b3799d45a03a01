/**
 * Entry point of a Node worker process (forked by the cluster primary). Builds the WorkerHost the
 * core's runWorker needs from cluster IPC, process signals and @hono/node-server.
 */
import cluster from "node:cluster";
import type { WorkerHost } from "../../src/adapter.ts";
import type { WorkerSpec } from "../../src/protocol.ts";
import { runWorker } from "../../src/worker/worker.ts";
import { parentChannel } from "../_shared/parent-channel.ts";
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

let acceptStopped: (() => void) | undefined;
const channel = parentChannel(
  (msg) => {
    if (msg?.type !== "accept-stopped") return false;
    acceptStopped?.();
    return true;
  },
  () => acceptStopped?.(),
);

const host: WorkerHost = {
  spec,
  send: channel.send,
  onMessage: channel.onMessage,
  onSupervisorGone: channel.onSupervisorGone,
  onFatal(h) {
    process.on("uncaughtException", h);
    process.on("unhandledRejection", h);
  },
  importApp,
  serve: (opts) =>
    serveNode(opts, {
      confirmStopped: () =>
        new Promise<void>((resolve) => {
          if (!channel.connected) return resolve();
          acceptStopped = resolve;
          channel.send({ type: "stop-accepting" });
        }),
    }),
  setTitle(title) {
    process.title = title;
  },
  writeLine(line) {
    process.stderr.write(line);
  },
  exit: (code) => channel.exitAfterFlush(code, (c) => process.exit(c)),
};

await runWorker(host);
