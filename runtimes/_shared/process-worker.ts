/**
 * The worker side shared by every process-based adapter (Node, Bun, Deno): reading the spec,
 * ignoring lifecycle signals, and the WorkerHost around the parent channel. Each worker-main passes
 * only what its runtime spells differently.
 */
import process from "node:process";
import type { WorkerHost } from "../../src/adapter.ts";
import type { WorkerSpec } from "../../src/protocol.ts";
import { type ParentChannel, parentChannel } from "./parent-channel.ts";

const LIFECYCLE_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTTIN", "SIGTTOU"] as const;

export interface RuntimePieces
  extends Pick<WorkerHost, "onFatal" | "importApp" | "warmUp" | "serve" | "setTitle" | "writeLine" | "parserLimits"> {
  /** Listen for `signal` (the listener does nothing: the supervisor alone gives orders). */
  ignoreSignal(signal: (typeof LIFECYCLE_SIGNALS)[number]): void;
  /** The runtime's immediate exit. */
  exit(code: number): void;
}

/** The spec from its serialised form, or a one-line refusal (exit 2) when started by hand. */
export function readSpec(raw: string | undefined, pieces: Pick<RuntimePieces, "writeLine" | "exit">): WorkerSpec {
  let spec: WorkerSpec | null = null;
  try {
    spec = JSON.parse(raw ?? "null") as WorkerSpec | null;
  } catch {
    spec = null;
  }
  if (!spec || typeof process.send !== "function") {
    pieces.writeLine("pounce: this file is started by the pounce supervisor, not by hand\n");
    pieces.exit(2);
    throw new Error("unreachable: exit returned");
  }
  return spec;
}

export function processWorkerHost(spec: WorkerSpec, pieces: RuntimePieces, channel: ParentChannel = parentChannel()): WorkerHost {
  // Workers take orders from the supervisor only: Ctrl-C's SIGINT to the process group, or a SIGTERM
  // sent to every process of a unit, must not make them quit on their own (the supervisor drains them).
  for (const sig of LIFECYCLE_SIGNALS) pieces.ignoreSignal(sig);
  channel.watchSupervisor(spec.supervisorPid);
  return {
    spec,
    send: channel.send,
    onMessage: channel.onMessage,
    onSupervisorGone: channel.onSupervisorGone,
    onFatal: pieces.onFatal,
    importApp: pieces.importApp,
    ...(pieces.warmUp ? { warmUp: pieces.warmUp } : {}),
    // The spec came without the PEM texts (tls-handoff.ts): fetch them just before serving.
    serve: async (opts) => pieces.serve(opts.tls ? { ...opts, tls: await channel.tlsMaterial() } : opts),
    parserLimits: pieces.parserLimits,
    setTitle: pieces.setTitle,
    writeLine: pieces.writeLine,
    exit: (code) => channel.exitAfterFlush(code, pieces.exit),
  };
}
