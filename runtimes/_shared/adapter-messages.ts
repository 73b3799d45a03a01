/**
 * The adapters' own messages on the supervisor <-> worker channel, beside the core's protocol
 * (src/protocol.ts). The core never sees them: `linkWorker` (supervisor side) and `parentChannel`
 * (worker side) take them out — the only two places that look for them.
 */
import type { SupervisorMessage, WorkerMessage } from "../../src/protocol.ts";

export type AdapterWorkerMessage =
  /** The worker's last message before it exits: everything it sent before has left. */
  | { type: "log-flush" }
  /** Node: this worker closed its listener; answer `accept-stopped` once the primary routes nothing here. */
  | { type: "stop-accepting" };

/** Node: the cluster primary no longer hands this worker connections. */
export type AdapterSupervisorMessage = { type: "accept-stopped" };

const ADAPTER_TYPES = new Set(["log-flush", "stop-accepting", "accept-stopped"]);

function isAdapterMessage(msg: unknown): boolean {
  return typeof msg === "object" && msg !== null && ADAPTER_TYPES.has((msg as { type?: unknown }).type as string);
}

export function isAdapterWorkerMessage(msg: WorkerMessage | AdapterWorkerMessage): msg is AdapterWorkerMessage {
  return isAdapterMessage(msg);
}

export function isAdapterSupervisorMessage(msg: SupervisorMessage | AdapterSupervisorMessage): msg is AdapterSupervisorMessage {
  return isAdapterMessage(msg);
}
