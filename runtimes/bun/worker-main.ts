/**
 * Entry point of a Bun worker process (spawned by the supervisor with an IPC channel). Builds the
 * WorkerHost the core's runWorker needs from that channel, process signals and Bun.serve.
 */
import { pathToFileURL } from "node:url";
import type { WorkerHost } from "../../src/adapter.ts";
import type { SupervisorMessage, WorkerMessage, WorkerSpec } from "../../src/protocol.ts";
import { runWorker } from "../../src/worker/worker.ts";
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
let connected = true;
let server: BunServerHandle | undefined;
let shutdownOrdered = false;
const handlers: Array<(msg: SupervisorMessage) => void> = [];

process.on("message", (msg: SupervisorMessage) => {
  if (msg?.type === "drain") {
    // New connections must go to the new generation (or, on a shutdown, be refused) from the moment
    // the order arrives: close the listener before the core's drain bookkeeping.
    if (msg.reason === "shutdown") shutdownOrdered = true;
    server?.stopListenerNow(msg.reason === "shutdown");
  }
  for (const h of handlers) h(msg);
});

const send = (msg: WorkerMessage): void => {
  if (!connected) return;
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
      // Orphaned: no new generation will take over the port, so stop accepting at once.
      shutdownOrdered = true;
      server?.stopListenerNow(true);
      h();
    });
  },
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
  exit(code) {
    // Let queued IPC (the last log lines, "idle") reach the supervisor before the process ends.
    if (!connected) return void process.exit(code);
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      process.exit(code);
    };
    try {
      (process.send as (m: unknown, cb: () => void) => boolean)({ type: "log-flush" }, go);
    } catch {
      go();
    }
    setTimeout(go, 500);
  },
};

await runWorker(host);
