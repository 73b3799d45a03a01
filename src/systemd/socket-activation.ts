/**
 * Socket activation: systemd (a .socket unit, or systemd-socket-activate) binds the address and
 * passes the listening socket as fd 3. Every worker of every generation serves on it, so the socket
 * — and its queue of connections not yet accepted — outlives pounce itself: a full restart of the
 * service refuses no connection. Only where the runtime's server can take an fd.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import { errors } from "../errors.ts";

/** Refuse, in one line, where this runtime cannot serve on the inherited socket. */
export function checkInheritedSocket(adapter: RuntimeAdapter): void {
  if (!adapter.canServeInheritedSocket)
    throw errors.systemd(
      `socket activation (LISTEN_FDS) is not possible on ${adapter.runtime}: ${
        adapter.inheritedSocketUnavailableReason ?? "its server cannot take an fd"
      }; run pounce on Node, or let pounce bind --host/--port itself`,
    );
}
