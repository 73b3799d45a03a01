/**
 * Entry point of a Deno worker process (started by the supervisor as `deno run --unstable-net …
 * worker-main <spec>`): the shared process-worker host (its channel is node:child_process's, the
 * only parent channel a Deno child has) with Deno's pieces (signal API, Deno.serve, argv titles).
 */
import { fileUrl } from "../../src/worker/file-url.ts";
import { runWorker } from "../../src/worker/worker.ts";
import { processWorkerHost, type RuntimePieces, readSpec } from "../_shared/process-worker.ts";
import { Deno, writeAllSync } from "./deno-api.ts";
import { denoParserLimits } from "./limits.ts";
import { serveDeno } from "./server.ts";
import { setProcessTitle } from "./title.ts";

const encoder = new TextEncoder();
const pieces: RuntimePieces = {
  ignoreSignal: (sig) => Deno.addSignalListener(sig, () => {}),
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
  importApp: async (file) => (await import(fileUrl(file))) as Record<string, unknown>,
  serve: serveDeno,
  parserLimits: denoParserLimits,
  setTitle: (title) => void setProcessTitle(title),
  writeLine: (line) => writeAllSync(Deno.stderr, encoder.encode(line)),
  exit: (code) => Deno.exit(code),
};

await runWorker(processWorkerHost(readSpec(Deno.args[0], pieces), pieces));
