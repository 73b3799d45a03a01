/**
 * Entry point of a Deno worker process (started by the supervisor as `deno run --unstable-net …
 * worker-main <spec>`). Builds the WorkerHost the core's runWorker needs from the child's IPC channel
 * (node:child_process's, the only parent channel a Deno child has), Deno's signal API and Deno.serve.
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { WorkerHost } from "../../src/adapter.ts";
import type { WorkerSpec } from "../../src/protocol.ts";
import { runWorker } from "../../src/worker/worker.ts";
import { parentChannel } from "../_shared/parent-channel.ts";
import { Deno, writeAllSync } from "./deno-api.ts";
import { isStoppedListenerError } from "./listener-stop.ts";
import { type DenoServerHandle, serveDeno } from "./server.ts";
import { setProcessTitle } from "./title.ts";

function readSpec(): WorkerSpec {
  let spec: WorkerSpec | null = null;
  try {
    spec = JSON.parse(Deno.args[0] ?? "null") as WorkerSpec | null;
  } catch {
    spec = null;
  }
  if (!spec || typeof process.send !== "function") {
    writeAllSync(Deno.stderr, new TextEncoder().encode("pounce: this file is started by the pounce supervisor, not by hand\n"));
    return Deno.exit(2);
  }
  return spec;
}
const spec = readSpec();

// Workers take orders from the supervisor only: Ctrl-C's SIGINT to the process group, or a SIGTERM
// sent to every process of a unit, must not make them quit on their own (the supervisor drains them).
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"]) Deno.addSignalListener(sig, () => {});

let server: DenoServerHandle | undefined;

// Stopping the listener with shutdown(2) makes Deno.serve's accept loop reject once; that is the
// intended effect, not an app error (registered before the core's onFatal listeners, so it runs first).
globalThis.addEventListener("unhandledrejection", (e: Event) => {
  const ev = e as PromiseRejectionEvent;
  if (server?.listenerStopped && isStoppedListenerError(ev.reason)) {
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }
});
let shutdownOrdered = false;
const channel = parentChannel(
  (msg) => {
    if (msg?.type === "drain" && msg.reason === "shutdown") {
      // Nobody else listens on the port during a shutdown: refuse new connections at once.
      shutdownOrdered = true;
      server?.closeListenerAtOnce();
    }
    // The new generation is ready: the sooner this listener stops, the sooner new connections go there.
    if (msg?.type === "drain") server?.drainOrdered();
    return false;
  },
  () => server?.closeListenerAtOnce(),
);

const encoder = new TextEncoder();
const host: WorkerHost = {
  spec,
  send: channel.send,
  onMessage: channel.onMessage,
  onSupervisorGone: channel.onSupervisorGone,
  onFatal(h) {
    globalThis.addEventListener("error", (e: Event) => {
      e.preventDefault();
      h((e as ErrorEvent).error ?? (e as ErrorEvent).message);
    });
    globalThis.addEventListener("unhandledrejection", (e: Event) => {
      e.preventDefault();
      h((e as PromiseRejectionEvent).reason);
    });
  },
  importApp: async (file) => (await import(pathToFileURL(file).href)) as Record<string, unknown>,
  serve: async (opts) => {
    server = await serveDeno(opts);
    if (shutdownOrdered || !channel.connected) server.closeListenerAtOnce();
    return server;
  },
  setTitle(title) {
    setProcessTitle(title);
  },
  writeLine(line) {
    writeAllSync(Deno.stderr, encoder.encode(line));
  },
  exit: (code) => channel.exitAfterFlush(code, (c) => Deno.exit(c)),
};

await runWorker(host);
