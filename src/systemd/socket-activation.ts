/**
 * Socket activation: systemd (a .socket unit, or systemd-socket-activate) binds the address and
 * passes the listening socket as fd 3. Every worker of every generation serves on it, so the socket
 * — and its queue of connections not yet accepted — outlives pounce itself: a full restart of the
 * service refuses no connection. Only where the runtime's server can take an fd.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import { errors } from "../errors.ts";

/** Refuse, in one line, where this runtime cannot serve on the inherited socket, or where --uds
 *  names another place to listen. */
export function checkInheritedSocket(adapter: RuntimeAdapter, config: Pick<Config, "uds">): void {
  if (config.uds)
    throw errors.systemd(
      `systemd passed a socket (LISTEN_FDS) and --uds ${config.uds} names another: pounce serves one socket — drop --uds (the .socket unit's ListenStream= can be that path) or start pounce without socket activation`,
    );
  if (!adapter.canServeInheritedSocket)
    throw errors.systemd(
      `socket activation (LISTEN_FDS) is not possible on ${adapter.runtime}: ${
        adapter.inheritedSocketUnavailableReason ?? "its server cannot take an fd"
      }; run pounce on Node, or let pounce bind --host/--port itself`,
    );
}
