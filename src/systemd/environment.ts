/**
 * What systemd hands a service in its environment: $NOTIFY_SOCKET (Type=notify) and
 * $LISTEN_FDS/$LISTEN_PID/$LISTEN_FDNAMES (socket activation). Taken once at start and removed from
 * this process's environment, so no worker inherits them: a worker's own STOPPING=1 could stop the
 * whole unit, and an app that read LISTEN_FDS would try to take the supervisor's socket.
 */
import { errors } from "../errors.ts";

/** sd_listen_fds(3): passed sockets start at fd 3. */
export const SD_LISTEN_FDS_START = 3;

export interface SystemdEnvironment {
  /** A path or `@name`. */
  notifySocket?: string;
  /** The one socket passed to this process (fd 3), and its name from LISTEN_FDNAMES. */
  listen?: { fd: number; name: string };
  /** LISTEN_FDS was set for another process (LISTEN_PID): the value, to say so in the log. */
  listenPidMismatch?: string;
}

export function takeSystemdEnvironment(env: Record<string, string | undefined>, pid: number): SystemdEnvironment {
  const { NOTIFY_SOCKET: notify, LISTEN_FDS: fds, LISTEN_PID: listenPid, LISTEN_FDNAMES: names } = env;
  for (const name of ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]) delete env[name];
  const out: SystemdEnvironment = {};
  if (notify !== undefined && notify !== "") {
    if (!notify.startsWith("/") && !notify.startsWith("@"))
      throw errors.systemd(
        `NOTIFY_SOCKET must be an absolute path or an abstract @name (got ${JSON.stringify(notify)}): unset it, or let systemd set it (Type=notify)`,
      );
    out.notifySocket = notify;
  }
  if (fds === undefined || fds === "") return out;
  if (listenPid !== String(pid)) {
    out.listenPidMismatch = listenPid ?? "(LISTEN_PID unset)";
    return out;
  }
  if (!/^[0-9]+$/.test(fds) || Number(fds) === 0)
    throw errors.systemd(`LISTEN_FDS must be a positive number of sockets (got ${JSON.stringify(fds)})`);
  if (Number(fds) !== 1)
    throw errors.systemd(
      `pounce serves one socket, but systemd passed ${fds} (LISTEN_FDNAMES=${names ?? ""}): give the .socket unit a single ListenStream=`,
    );
  return { ...out, listen: { fd: SD_LISTEN_FDS_START, name: names ?? "" } };
}
