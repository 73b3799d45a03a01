/**
 * Where to listen: the one decision every adapter's listen code branches on. A TCP address
 * (--host/--port), a unix socket (--uds), or a socket systemd passed (socket activation, LISTEN_FDS).
 * Carried from the config to the supervisor (titles, log lines, the socket's publication) and, in
 * each WorkerSpec, to the adapter's server, which only carries it out. `pounce wrap --listen` opens
 * a tcp or unix one for the commands it wraps (a BindableTarget).
 */

export type ListenTarget =
  | { kind: "tcp"; host: string; port: number }
  /** `path` is the socket's public name. In a WorkerSpec `bindPath` is where that worker binds:
   *  a private temporary name the supervisor renames over `path` once the worker serves
   *  (src/supervisor/unix-socket.ts). `mode`: the permission bits the supervisor gives it (--uds-mode);
   *  absent for `pounce wrap --listen`, which leaves the socket as bind(2) made it. */
  | { kind: "unix"; path: string; mode?: number; bindPath?: string }
  /** An inherited listening socket (systemd socket activation: fd 3), in every worker as that fd. */
  | { kind: "fd"; fd: number };

/** A target this process binds itself (`pounce wrap --listen`): not an inherited fd. */
export type BindableTarget = Exclude<ListenTarget, { kind: "fd" }>;

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

/** The address as a URL-like string (the Ready line, the state file's `url`): `http://127.0.0.1:8000`
 *  (`https://` with TLS), `unix:/run/app.sock`, `fd:3`. */
export function addressUrl(t: ListenTarget, tls = false): string {
  switch (t.kind) {
    case "tcp":
      return `${tls ? "https" : "http"}://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
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
