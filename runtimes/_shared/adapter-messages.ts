/**
 * The adapters' own messages on the supervisor <-> worker channel, beside the core's protocol
 * (src/protocol.ts). The core never sees them: `linkWorker` (supervisor side) and `parentChannel`
 * (worker side) take them out — the only two places that look for them.
 */
import type { SupervisorMessage, WorkerMessage } from "../../src/protocol.ts";
import type { TlsMaterial } from "../../src/tls/material.ts";

export type AdapterWorkerMessage =
  /** The worker's last message before it exits: everything it sent before has left. */
  | { type: "log-flush" }
  /** Node: this worker closed its listener; answer `accept-stopped` once the primary routes nothing here. */
  | { type: "stop-accepting" }
  /** The worker is about to serve HTTPS: send the PEM texts (tls-handoff.ts). */
  | { type: "tls-wanted" };

/** Node: the cluster primary no longer hands this worker connections. */
export type AdapterSupervisorMessage =
  | { type: "accept-stopped" }
  /** The answer to `tls-wanted`: what the supervisor read and checked. */
  | { type: "tls-material"; tls: TlsMaterial };

const ADAPTER_TYPES = new Set(["log-flush", "stop-accepting", "accept-stopped", "tls-wanted", "tls-material"]);

function isAdapterMessage(msg: unknown): boolean {
  return typeof msg === "object" && msg !== null && ADAPTER_TYPES.has((msg as { type?: unknown }).type as string);
}

export function isAdapterWorkerMessage(msg: WorkerMessage | AdapterWorkerMessage): msg is AdapterWorkerMessage {
  return isAdapterMessage(msg);
}

export function isAdapterSupervisorMessage(msg: SupervisorMessage | AdapterSupervisorMessage): msg is AdapterSupervisorMessage {
  return isAdapterMessage(msg);
}
