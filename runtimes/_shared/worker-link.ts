/**
 * The supervisor side of one process worker's channel, for every adapter: takes the adapters' own
 * messages out (adapter-messages.ts), and reports the worker's exit only after its last messages.
 *
 * A child's exit (SIGCHLD) and the last bytes in its IPC pipe are separate events, and the exit can
 * come first: a worker's `failed` reason, its last log lines or its `idle` would then arrive after
 * the supervisor has already judged the exit. So the exit waits until the worker's farewell
 * (`log-flush`, its last message before a clean exit) has been read, or the channel has closed (the
 * pipe read to its end), or — a channel held open by a grandchild — CHANNEL_CLOSE_LIMIT_MS.
 * Where the worker's stdout/stderr are piped (JSON logs), the exit also waits for both to end,
 * under the same limit.
 */
import type { WorkerEvents } from "../../src/adapter.ts";
import type { WorkerMessage } from "../../src/protocol.ts";
import { type AdapterWorkerMessage, isAdapterWorkerMessage } from "./adapter-messages.ts";

const CHANNEL_CLOSE_LIMIT_MS = 200;

export interface WorkerLink {
  /** Every message read from the worker's channel. */
  message(msg: WorkerMessage | AdapterWorkerMessage): void;
  /** The process exited. */
  exited(code: number | null, signal: string | null): void;
  /** The channel has closed: nothing more will be read from it. */
  channelClosed(): void;
  /** Set when the worker's stdout/stderr are to be piped: where each chunk read goes. */
  readonly output?: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
  /** Where stdout/stderr are piped: one of them was read to its end. */
  outputEnded(): void;
  /** Whether the exit has been reported (nothing more goes to the worker). */
  readonly gone: boolean;
}

export function linkWorker(events: WorkerEvents, onAdapterMessage?: (msg: AdapterWorkerMessage) => void): WorkerLink {
  let farewell = false;
  let closed = false;
  let openOutputs = events.output ? 2 : 0;
  const settled = () => (farewell || closed) && openOutputs === 0;
  let exit: { code: number | null; signal: string | null } | undefined;
  let reported = false;
  let limit: ReturnType<typeof setTimeout> | undefined;
  const report = () => {
    if (reported || !exit) return;
    reported = true;
    clearTimeout(limit);
    events.exit(exit.code, exit.signal);
  };
  return {
    message(msg) {
      if (reported) return;
      if (!isAdapterWorkerMessage(msg)) return events.message(msg);
      if (msg.type === "log-flush") {
        farewell = true;
        if (settled()) report();
      } else onAdapterMessage?.(msg);
    },
    exited(code, signal) {
      if (exit) return;
      exit = { code, signal };
      if (settled()) return report();
      limit = setTimeout(report, CHANNEL_CLOSE_LIMIT_MS);
    },
    channelClosed() {
      closed = true;
      // One more turn: a runtime may emit the close in the same tick as the last messages.
      setTimeout(() => settled() && report(), 0);
    },
    outputEnded() {
      openOutputs = Math.max(0, openOutputs - 1);
      if (settled()) setTimeout(report, 0);
    },
    get gone() {
      return reported;
    },
    output: events.output,
  };
}
