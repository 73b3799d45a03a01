/**
 * The wrapper speaks systemd's notify protocol for itself, as `serve` does (src/systemd/notify.ts
 * has serve's, bound to the supervisor's state): READY=1 once the first copy is ready; on a reload
 * RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC when it was asked for), then READY=1 once it has
 * completed or failed and no other reload is owed; STOPPING=1 on shutdown; STATUS= with the copy
 * serving. The copies never see systemd's $NOTIFY_SOCKET (they get the wrapper's own, notify.ts).
 */
import type { Observer } from "../supervisor/notes.ts";
import type { NotifyChannel } from "../systemd/notify-channel.ts";

export function wrapNotifier(
  channel: NotifyChannel,
  pid: number,
  /** A reload is under way or waiting to start (READY=1 then waits for it). */
  reloadOwed: () => boolean,
): Observer {
  const send = channel.send;
  let ready = false;
  let reloading = false;
  let serving = "";
  const settle = (status: string) => {
    if (!reloading || reloadOwed()) return;
    reloading = false;
    send("READY=1", `STATUS=${status}`);
  };
  return (n) => {
    switch (n.event) {
      case "wrap_ready":
        ready = true;
        serving = `Serving: copy ${n.copy} (pid ${n.pid})`;
        send("READY=1", `MAINPID=${pid}`, `STATUS=${serving}`);
        return;
      case "reload_requested":
        if (!ready || reloading) return;
        reloading = true;
        send("RELOADING=1", `MONOTONIC_USEC=${channel.monotonicUsec()}`, "STATUS=Reloading");
        return;
      case "wrap_reload_complete":
        serving = `Serving: copy ${n.copy} (pid ${n.pid})`;
        settle(`${serving}; last reload: ok`);
        return;
      case "reload_failed":
        settle(`${serving}; last reload: failed`);
        return;
      case "shutdown_requested":
        send("STOPPING=1");
        return;
      default:
        return;
    }
  };
}
