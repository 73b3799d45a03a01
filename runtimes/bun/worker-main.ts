/**
 * Entry point of a Bun worker process (spawned by the supervisor with an IPC channel). Builds the
 * WorkerHost the core's runWorker needs from that channel, process signals and Bun.serve.
 */
import { pathToFileURL } from "node:url";
import type { WorkerHost } from "../../src/adapter.ts";
import type { WorkerSpec } from "../../src/protocol.ts";
import { runWorker } from "../../src/worker/worker.ts";
import { parentChannel } from "../_shared/parent-channel.ts";
import { type BunServerHandle, serveBun } from "./server.ts";
import { installStreamMark } from "./stream-mark.ts";
import { setProcessTitle } from "./title.ts";

let spec: WorkerSpec | null = null;
try {
  spec = JSON.parse(process.argv[2] ?? "null") as WorkerSpec | null;
} catch {
  spec = null;
}
if (!spec || typeof process.send !== "function") {
  process.stderr.write("pounce: this file is started by the pounce supervisor, not by hand\n");
  process.exit(2);
}

// Workers take orders from the supervisor only: Ctrl-C's SIGINT to the process group, or a SIGTERM
// sent to every process of a unit, must not make them quit on their own (the supervisor drains them).
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const) process.on(sig, () => {});

const reusePort = process.env.POUNCE_BUN_NO_REUSEPORT !== "1";
let server: BunServerHandle | undefined;
let shutdownOrdered = false;
const channel = parentChannel(
  (msg) => {
    if (msg?.type === "drain") {
      // New connections must go to the new generation (or, on a shutdown, be refused) from the moment
      // the order arrives: close the listener before the core's drain bookkeeping.
      if (msg.reason === "shutdown") shutdownOrdered = true;
      server?.stopListenerNow(msg.reason === "shutdown");
    }
    return false;
  },
  () => {
    // Orphaned: no new generation will take over the port, so stop accepting at once.
    shutdownOrdered = true;
    server?.stopListenerNow(true);
  },
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
  async importApp(file) {
    installStreamMark();
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  },
  async serve(opts) {
    server = await serveBun(opts, reusePort);
    if (shutdownOrdered) server.stopListenerNow(true);
    return server;
  },
  setTitle(title) {
    setProcessTitle(title);
  },
  writeLine(line) {
    process.stderr.write(line);
  },
  exit: (code) => channel.exitAfterFlush(code, (c) => process.exit(c)),
};

await runWorker(host);
