/**
 * The way to systemd's $NOTIFY_SOCKET that serve's and wrap's notifiers share: messages leave in
 * order, one at a time, through the adapter's unix datagram socket; a failure is told once per kind.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import { errors } from "../errors.ts";
import { effectiveUid } from "../privileges.ts";
import type { Note } from "../supervisor/notes.ts";
import type { UnixDatagram } from "./datagram.ts";

export interface NotifyChannel {
  /** Send one message of VAR=VALUE lines (queued behind the ones before it). */
  send(...lines: string[]): void;
  /** CLOCK_MONOTONIC in µs, for RELOADING=1's MONOTONIC_USEC=. */
  monotonicUsec(): bigint;
}

export function notifyChannel(
  /** $NOTIFY_SOCKET: a path, or `@name` for an abstract socket. */
  socket: string,
  datagram: UnixDatagram,
  monotonicUsec: () => bigint,
  failed: (message: string) => void,
): NotifyChannel {
  let queue = Promise.resolve();
  const told = new Set<string>();
  return {
    monotonicUsec,
    send: (...lines) => {
      const message = lines.join("\n");
      queue = queue
        .then(() => datagram.send(socket, message))
        .catch((err: Error) => {
          if (told.has(err.message)) return;
          told.add(err.message);
          failed(err.message);
        });
    },
  };
}

/** The channel this adapter can open to `socket`, or the one-line reason it cannot (refuse to start). */
export function adapterNotifyChannel(adapter: RuntimeAdapter, socket: string, note: (n: Note) => void): NotifyChannel {
  const datagram = adapter.unixDatagram;
  const clock = adapter.monotonicUsec;
  if (!datagram || !clock)
    throw errors.systemd(
      `NOTIFY_SOCKET is set (Type=notify) but pounce on ${adapter.runtime} cannot notify systemd: ${
        adapter.unixDatagramUnavailableReason ?? "no CLOCK_MONOTONIC clock"
      }`,
    );
  if (datagram.sender === "helper") note({ event: "notify_via_helper", helper: "systemd-notify(1)", root: effectiveUid() === 0 });
  return notifyChannel(socket, datagram, clock, (message) => note({ event: "notify_failed", socket, message }));
}
