/**
 * The systemd notifier (Type=notify and Type=notify-reload), an observer of the supervisor:
 * READY=1 once serving; on a reload RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC when the
 * reload was asked for, which systemd compares with when it sent SIGHUP), then READY=1 once it has
 * completed or failed and no other reload is owed; STOPPING=1 on shutdown; STATUS= with the
 * generation, the worker count and the last reload's outcome (sent through notify-channel.ts).
 */
import type { Note, Observer } from "../supervisor/notes.ts";
import type { SupervisorState } from "../supervisor/state.ts";
import type { NotifyChannel } from "./notify-channel.ts";

/** Whether a reload is still under way or waiting to start (then READY=1 waits for it). */
export function reloadOwed(s: SupervisorState): boolean {
  const p = s.phase;
  return s.reloads.pending !== undefined || (p.kind === "running" && (p.rollout !== undefined || p.completionOwed !== undefined));
}

/** A notify message is lines of VAR=VALUE: a value never spans two. */
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");

export function notifyObserver(
  channel: NotifyChannel,
  /** The supervisor's state, read when a reload ends: is another reload still owed? */
  state: () => SupervisorState,
): Observer {
  let ready = false;
  let reloading = false;
  let generation = 0;
  let workers = 0;
  let lastReload = "none";
  /** This reload already stopped the old code and failed: what completes next is the way back. */
  let recovering: string | undefined;
  const send = channel.send;
  const status = () => `STATUS=Serving generation ${generation} with ${workers} worker(s); last reload: ${lastReload}`;
  const settle = () => {
    if (reloading && !reloadOwed(state())) {
      reloading = false;
      send("READY=1", status());
    } else send(status());
  };
  return (n: Note) => {
    switch (n.event) {
      case "ready":
        ready = true;
        generation = n.generation;
        workers = n.workers;
        send("READY=1", status());
        return;
      case "reload_requested":
        if (!ready || reloading) return;
        reloading = true;
        send("RELOADING=1", `MONOTONIC_USEC=${channel.monotonicUsec()}`, `STATUS=Reloading (generation ${generation} serving)`);
        return;
      case "reload_complete":
        generation = n.generation;
        workers = n.workers;
        lastReload = recovering
          ? `failed (${recovering}), previous version restarted as generation ${n.generation}`
          : `complete (generation ${n.generation})`;
        recovering = undefined;
        settle();
        return;
      case "reload_failed":
        lastReload = `failed (${oneLine(n.cause)})`;
        if (n.oldStopped) recovering = oneLine(n.cause);
        settle();
        return;
      case "shutdown_requested":
        send("STOPPING=1", `STATUS=Stopping (${n.signal})`);
        return;
      case "boot_failed":
        send(`STATUS=Failed to start: ${oneLine(n.cause)}`);
        return;
      default:
        return;
    }
  };
}
