/**
 * The wrapper speaks systemd's notify protocol for itself, as `serve` does: an observer that turns
 * its notes into messages on the $NOTIFY_SOCKET it was started with (the copies never see that
 * variable; they get the wrapper's own socket, notify.ts). READY=1 once the first copy is ready and
 * again after each reload settles; RELOADING=1 with MONOTONIC_USEC when a reload is asked for;
 * STOPPING=1 on shutdown. Sent one at a time, in order, through the adapter's datagram sender.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import { describe } from "../errors.ts";
import type { Note, Observer } from "../supervisor/notes.ts";

export function wrapNotifier(
  adapter: RuntimeAdapter,
  socket: string | undefined,
  pid: number,
  note: (n: Note) => void,
): Observer | undefined {
  if (!socket) return undefined;
  const dgram = adapter.unixDatagram;
  if (!dgram) {
    note({ event: "wrap_notify_error", message: adapter.unixDatagramUnavailableReason ?? `${adapter.runtime} cannot send` });
    return undefined;
  }
  let chain = Promise.resolve();
  let failed = false;
  let ready = false;
  const send = (message: string) => {
    chain = chain
      .then(() => dgram.send(socket, message))
      .catch((err) => {
        if (failed) return;
        failed = true;
        note({ event: "wrap_notify_error", message: describe(err) });
      });
  };
  return (n) => {
    switch (n.event) {
      case "wrap_ready":
        ready = true;
        send(`READY=1\nMAINPID=${pid}\nSTATUS=copy ${n.copy} serving`);
        return;
      case "reload_requested": {
        if (!ready) return;
        const usec = adapter.monotonicUsec?.();
        send(`RELOADING=1${usec === undefined ? "" : `\nMONOTONIC_USEC=${usec}`}\nSTATUS=reloading`);
        return;
      }
      case "wrap_reload_complete":
        send(`READY=1\nSTATUS=copy ${n.copy} serving`);
        return;
      case "reload_failed":
        if (ready) send("READY=1\nSTATUS=reload failed, the previous copy serves");
        return;
      case "shutdown_requested":
        send("STOPPING=1");
        return;
      default:
        return;
    }
  };
}
