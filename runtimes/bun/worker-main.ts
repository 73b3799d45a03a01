/**
 * Entry point of a Bun worker process (spawned by the supervisor with an IPC channel): the shared
 * process-worker host with Bun's pieces (Bun.serve, the streaming-response mark, argv titles).
 */
import { fileUrl } from "../../src/worker/file-url.ts";
import { runWorker } from "../../src/worker/worker.ts";
import { processWorkerHost, type RuntimePieces, readSpec } from "../_shared/process-worker.ts";
import { portSharing } from "../_shared/reuse-port.ts";
import { bunParserLimits } from "./limits.ts";
import { serveBun } from "./server.ts";
import { installStreamMark } from "./stream-mark.ts";
import { setProcessTitle } from "./title.ts";

const reusePort = portSharing(process.platform).available;
const pieces: RuntimePieces = {
  ignoreSignal: (sig) => void process.on(sig, () => {}),
  onFatal(h) {
    process.on("uncaughtException", h);
    process.on("unhandledRejection", h);
  },
  async importApp(file) {
    installStreamMark();
    return (await import(fileUrl(file))) as Record<string, unknown>;
  },
  serve: (opts) => serveBun(opts, reusePort),
  parserLimits: bunParserLimits,
  setTitle: (title) => void setProcessTitle(title),
  writeLine: (line) => void process.stderr.write(line),
  exit: (code) => process.exit(code),
};

await runWorker(processWorkerHost(readSpec(process.argv[2], pieces), pieces));
