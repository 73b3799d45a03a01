/**
 * Where the workers listen: the one decision every adapter's listen code branches on. A TCP
 * address (--host/--port), a unix socket (--uds), or later an inherited fd (socket activation).
 * Carried from the config to the supervisor (titles, log lines, the socket's publication) and, in
 * each WorkerSpec, to the adapter's server, which only carries it out.
 */

export type ListenTarget =
  | { kind: "tcp"; host: string; port: number }
  /** `path` is the socket's public name. In a WorkerSpec `bindPath` is where that worker binds:
   *  a private temporary name the supervisor renames over `path` once the worker serves
   *  (src/supervisor/unix-socket.ts). */
  | { kind: "unix"; path: string; mode: number; bindPath?: string }
  | { kind: "fd"; fd: number };

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** The address as titles show it: `:8000` (every interface), `127.0.0.1:8000`, `[::1]:8000`,
 *  `/run/app.sock`, `fd:3`. */
export function addressLabel(t: ListenTarget): string {
  switch (t.kind) {
    case "tcp":
      if (WILDCARD_HOSTS.has(t.host)) return `:${t.port}`;
      return t.host.includes(":") ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
    case "unix":
      return t.path;
    case "fd":
      return `fd:${t.fd}`;
  }
}

/** The address as the Ready line shows it: `http://127.0.0.1:8000`, `unix:/run/app.sock`, `fd:3`. */
export function addressUrl(t: ListenTarget): string {
  switch (t.kind) {
    case "tcp":
      return `http://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
    case "unix":
      return `unix:${t.path}`;
    case "fd":
      return `fd:${t.fd}`;
  }
}

/** The process titles (`pkill -f 'pounce: supervisor /srv/app/current/app.ts'` picks one service). */
export function supervisorTitle(entry: string, t: ListenTarget): string {
  return `pounce: supervisor ${entry} ${addressLabel(t)}`;
}

export function workerTitle(id: number, generation: number, entry: string, t: ListenTarget): string {
  return `pounce: worker ${id} (generation ${generation}) ${entry} ${addressLabel(t)}`;
}
