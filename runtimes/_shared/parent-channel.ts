/**
 * A worker process's channel to its supervisor (`process.send` / `process.on("message")`, which Node,
 * Bun and Deno children all have): the WorkerHost pieces every process-based adapter shares.
 */
import process from "node:process";
// node:timers' timers, not the global ones: Deno's global setInterval returns a number, with no unref.
import { clearInterval, setInterval } from "node:timers";
import type { WorkerHost } from "../../src/adapter.ts";
import { SUPERVISOR_CHECK_MS, type SupervisorMessage, type WorkerMessage } from "../../src/protocol.ts";
import type { TlsMaterial } from "../../src/tls/material.ts";
import { type AdapterSupervisorMessage, type AdapterWorkerMessage, isAdapterSupervisorMessage } from "./adapter-messages.ts";
import { tlsRequester } from "./tls-handoff.ts";

/** How long exit waits for the last IPC messages to leave before going anyway. */
const FLUSH_LIMIT_MS = 500;

export interface ParentChannel extends Pick<WorkerHost, "send" | "onMessage" | "onSupervisorGone"> {
  readonly connected: boolean;
  /** The adapter's own messages to its supervisor side (adapter-messages.ts). */
  sendAdapter(msg: AdapterWorkerMessage): void;
  /** The TLS PEM texts, asked of the supervisor side (tls-handoff.ts). */
  tlsMaterial(): Promise<TlsMaterial>;
  /** Also count the supervisor gone once this process's parent is no longer `pid` (checked every
   *  SUPERVISOR_CHECK_MS, without keeping the process alive). */
  watchSupervisor(pid: number): void;
  /** Exit once queued messages (the last log lines, "idle") have reached the supervisor. */
  exitAfterFlush(code: number, exit: (code: number) => void): void;
}

/**
 * `onAdapterMessage` gets the adapter's own messages, which the core never sees. `onGone` runs when
 * the channel closes, before the core's handler.
 */
export function parentChannel(onAdapterMessage?: (msg: AdapterSupervisorMessage) => void, onGone?: () => void): ParentChannel {
  let connected = true;
  const handlers: Array<(msg: SupervisorMessage) => void> = [];
  const gone: Array<() => void> = [];
  const tls = tlsRequester((msg) => post(msg));
  process.on("message", (msg: SupervisorMessage | AdapterSupervisorMessage) => {
    if (isAdapterSupervisorMessage(msg)) return tls.answered(msg) || onAdapterMessage?.(msg);
    for (const h of handlers) h(msg);
  });
  // Once, whichever says it first: "disconnect", or the parent no longer being the supervisor
  // (watchSupervisor: Deno emits no "disconnect" for a channel that closed while this process was
  // still loading, and such a worker was left running under PID 1).
  const supervisorGone = (): void => {
    if (!connected) return;
    connected = false;
    onGone?.();
    for (const h of gone) h();
  };
  process.once("disconnect", supervisorGone);
  const post = (msg: WorkerMessage | AdapterWorkerMessage): void => {
    if (!channel.connected) return;
    try {
      // With a callback, a write to a supervisor that has just gone is its error, not an uncaught
      // one (Deno throws "BrokenPipe" from the write otherwise); "disconnect" follows.
      (process.send as ((m: unknown, cb: (err: Error | null) => void) => boolean) | undefined)?.(msg, () => {});
    } catch {
      // channel closed under us; the disconnect handler takes over
    }
  };
  const channel: ParentChannel = {
    get connected() {
      return connected && process.connected !== false;
    },
    send: (msg: WorkerMessage) => post(msg),
    sendAdapter: (msg) => post(msg),
    tlsMaterial: () => tls.request(),
    onMessage: (h) => handlers.push(h),
    watchSupervisor(pid) {
      const timer = setInterval(() => {
        if (process.ppid === pid) return;
        clearInterval(timer);
        supervisorGone();
      }, SUPERVISOR_CHECK_MS);
      timer.unref?.();
      if (process.ppid !== pid) queueMicrotask(supervisorGone);
    },
    onSupervisorGone: (h) => {
      gone.push(h);
      if (!connected) queueMicrotask(h);
    },
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
        const farewell: AdapterWorkerMessage = { type: "log-flush" };
        (process.send as (m: unknown, cb: () => void) => boolean)(farewell, go);
      } catch {
        go();
      }
    },
  };
  return channel;
}
