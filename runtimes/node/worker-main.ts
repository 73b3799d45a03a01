/**
 * A Node worker process (forked by the cluster primary, started by worker-entry.ts): the shared process-worker
 * host with Node's pieces (@hono/node-server, TS loading) and the cluster's listener hand-off.
 */
import cluster from "node:cluster";
import { runWorker } from "../../src/worker/worker.ts";
import { parentChannel } from "../_shared/parent-channel.ts";
import { processWorkerHost, type RuntimePieces, readSpec } from "../_shared/process-worker.ts";
import { flushModuleCompileCache } from "./compile-cache.ts";
import { nodeParserLimits } from "./limits.ts";
import { importApp, warmUp } from "./load.ts";
import { serveNode } from "./server.ts";

// node:cluster makes a worker exit at once when the primary's channel closes unexpectedly (the
// supervisor was SIGKILLed). Marking the disconnect as expected keeps the worker alive so it can
// finish its in-flight requests first (onSupervisorGone).
if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;

// The supervisor side answers `stop-accepting` with `accept-stopped` once the primary routes
// nothing more here (or the channel is gone, and with it the primary).
let acceptStopped: (() => void) | undefined;
const channel = parentChannel(
  () => acceptStopped?.(),
  () => acceptStopped?.(),
);

const pieces: RuntimePieces = {
  ignoreSignal: (sig) => void process.on(sig, () => {}),
  onFatal(h) {
    process.on("uncaughtException", h);
    process.on("unhandledRejection", h);
  },
  importApp,
  warmUp,
  parserLimits: nodeParserLimits,
  serve: async (opts) => {
    const server = await serveNode(opts, {
      confirmStopped: () =>
        new Promise<void>((resolve) => {
          if (!channel.connected) return resolve();
          acceptStopped = resolve;
          channel.sendAdapter({ type: "stop-accepting" });
        }),
    });
    // Everything a worker compiles before serving is compiled now: kept for the next reload's
    // workers, after `ready` has gone.
    setImmediate(flushModuleCompileCache);
    return server;
  },
  setTitle: (title) => {
    process.title = title;
  },
  writeLine: (line) => void process.stderr.write(line),
  exit: (code) => process.exit(code),
};

await runWorker(processWorkerHost(readSpec(process.env.POUNCE_WORKER_SPEC, pieces), pieces, channel));
