/**
 * A worker process's channel to its supervisor (`process.send` / `process.on("message")`, which Node,
 * Bun and Deno children all have): the WorkerHost pieces every process-based adapter shares.
 */
import process from "node:process";
import type { WorkerHost } from "../../src/adapter.ts";
import type { SupervisorMessage, WorkerMessage } from "../../src/protocol.ts";

/** How long exit waits for the last IPC messages to leave before going anyway. */
const FLUSH_LIMIT_MS = 500;

export interface ParentChannel extends Pick<WorkerHost, "send" | "onMessage" | "onSupervisorGone"> {
  readonly connected: boolean;
  /** Exit once queued messages (the last log lines, "idle") have reached the supervisor. */
  exitAfterFlush(code: number, exit: (code: number) => void): void;
}

/**
 * `intercept` sees every supervisor message first (adapter mechanics such as closing a listener the
 * moment a drain order arrives); returning true keeps the message from the core.
 * `onGone` runs when the channel closes, before the core's handler.
 */
export function parentChannel(intercept?: (msg: SupervisorMessage) => boolean | undefined, onGone?: () => void): ParentChannel {
  let connected = true;
  const handlers: Array<(msg: SupervisorMessage) => void> = [];
  const gone: Array<() => void> = [];
  process.on("message", (msg: SupervisorMessage) => {
    if (intercept?.(msg) === true) return;
    for (const h of handlers) h(msg);
  });
  process.once("disconnect", () => {
    connected = false;
    onGone?.();
    for (const h of gone) h();
  });
  const channel: ParentChannel = {
    get connected() {
      return connected && process.connected !== false;
    },
    send(msg: WorkerMessage) {
      if (!channel.connected) return;
      try {
        process.send?.(msg);
      } catch {
        // channel closed under us; the disconnect handler takes over
      }
    },
    onMessage: (h) => handlers.push(h),
    onSupervisorGone: (h) => gone.push(h),
    exitAfterFlush(code, exit) {
      if (!channel.connected) return exit(code);
      let done = false;
      const go = () => {
        if (done) return;
        done = true;
        exit(code);
      };
      setTimeout(go, FLUSH_LIMIT_MS);
      try {
        (process.send as (m: unknown, cb: () => void) => boolean)({ type: "log-flush" }, go);
      } catch {
        go();
      }
    },
  };
  return channel;
}
