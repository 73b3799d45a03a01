/**
 * Every supervisor log line, with its level and JSON fields, in one table keyed by the note's
 * `event`. Operators grep these lines and tests wait on them: keep the wording stable.
 */
import type { LogLevel } from "../config.ts";
import { addressUrl } from "../listen-target.ts";
import type { Logger, LogRecord } from "../log.ts";
import { describeCause } from "./events.ts";
import type { Note, NoteOf, Observer } from "./notes.ts";

type Fields = Omit<LogRecord, "level" | "msg">;
type Line<E extends Note["event"]> = { level: LogLevel; text(n: NoteOf<E>): string; fields?(n: NoteOf<E>): Fields } | null;

const seconds = (s: number) => `${s.toFixed(1)}s`;
const signalOf = (n: { cause: NoteOf<"reload_requested">["cause"] }) =>
  n.cause.kind === "signal" ? { signal: n.cause.signal } : { cause: n.cause.kind };

export const LOG_LINES: { [E in Note["event"]]: Line<E> } = {
  reload_strategy_restart: {
    level: "warn",
    text: (n) =>
      `Reloads will stop the old workers before starting new ones (${n.why}): expect a short gap in service on each reload${
        n.batchIgnored ? " (--reload-batch does not apply)" : ""
      }`,
  },
  reload_requested: {
    level: "info",
    text: (n) => `${describeCause(n.cause)} — triggering graceful reload`,
    fields: signalOf,
  },
  reload_ignored: { level: "info", text: (n) => `${describeCause(n.cause)} during shutdown — ignored`, fields: signalOf },
  reload_queued: {
    level: "info",
    text: (n) =>
      n.wait === "boot"
        ? "Reload will run once start-up completes"
        : n.wait === "rollout"
          ? "A reload is already in progress; another will run once it settles"
          : `Reload will run in ${seconds(n.waitMs / 1000)} (at most one reload starts per second)`,
  },
  reload_started: null,
  shutdown_requested: {
    level: "info",
    text: (n) => `${n.because ?? `Received ${n.signal}`} — initiating shutdown`,
    fields: (n) => ({ signal: n.signal }),
  },
  shutdown_forced: {
    level: "warn",
    text: (n) => `Received second ${n.signal} — stopping now`,
    fields: (n) => ({ signal: n.signal }),
  },
  shutdown_delayed: {
    level: "info",
    text: (n) => `Health now answers 503; serving for ${seconds(n.seconds)} more before draining (--shutdown-delay)`,
    fields: (n) => ({ delay_seconds: n.seconds }),
  },
  shutdown_delay_cut: {
    level: "info",
    text: (n) => `Received second ${n.signal} — draining now instead of at the end of the shutdown delay`,
    fields: (n) => ({ signal: n.signal }),
  },
  generation_starting: {
    level: "info",
    text: (n) => `Spawning ${n.workers} worker(s) (generation ${n.generation})...`,
    fields: (n) => ({ generation: n.generation }),
  },
  ready: {
    level: "info",
    text: (n) =>
      `Ready to accept connections on ${n.listen.kind === "fd" ? `fd ${n.listen.fd} (socket activation)` : addressUrl(n.listen, n.tls)} — ${n.workers} worker(s), generation ${n.generation}, ${n.runtime}`,
    fields: (n) =>
      n.listen.kind === "tcp"
        ? { port: n.listen.port, generation: n.generation }
        : n.listen.kind === "unix"
          ? { socket: n.listen.path, generation: n.generation }
          : { fd: n.listen.fd, generation: n.generation },
  },
  tcp_ignored: {
    level: "warn",
    text: (n) => `Serving on unix socket ${n.path}: ${n.ignored.join(" and ")} ignored`,
  },
  title_cut: {
    level: "info",
    text: (n) =>
      `Process title cut to the command line's length: ps shows "${n.shown}" — start pounce with a longer command line (e.g. the installed bin's absolute path) for "${n.title}"`,
  },
  unix_socket_error: {
    level: "error",
    text: (n) => `Cannot publish unix socket ${n.path}: ${n.message}`,
  },
  pid_file_error: { level: "error", text: (n) => `Cannot write pid file ${n.file}: ${n.message}` },
  state_file_error: {
    level: "error",
    text: (n) => `Cannot write state file ${n.file}: ${n.message} (pounce reload/stop/status cannot follow this server)`,
  },
  boot_failed: { level: "error", text: (n) => `Failed to start: ${n.cause}`, fields: (n) => ({ generation: n.generation }) },
  reimported: {
    level: "info",
    text: (n) => `Successfully reimported app from ${n.entry}`,
    fields: (n) => ({ generation: n.generation }),
  },
  draining_old: {
    level: "info",
    text: (n) =>
      `New workers spawned. Draining old workers (generation ${n.generation}${n.count > 1 && n.staggerSeconds > 0 ? `, one every ${n.staggerSeconds}s` : ""})...`,
    fields: (n) => ({ generation: n.generation }),
  },
  reload_failed: {
    level: "error",
    text: (n) =>
      n.oldStopped
        ? `Reload failed after the old workers stopped: ${n.cause} — restarting the previous version`
        : n.batch && n.batch.number > 1
          ? `Reload failed in batch ${n.batch.number} of ${n.batch.total} — continuing with previous version (its workers start again, then generation ${n.generation}'s drain): ${n.cause}`
          : `Reload failed — continuing with previous version: ${n.cause}`,
    fields: (n) => (n.generation === undefined ? {} : { generation: n.generation }),
  },
  batch_starting: {
    level: "info",
    text: (n) => `Starting batch ${n.number} of ${n.total} (${n.workers} worker(s), generation ${n.generation})...`,
    fields: (n) => ({ generation: n.generation, batch: n.number }),
  },
  batch_ready: {
    level: "info",
    text: (n) =>
      `Batch ${n.number} of ${n.total} ready (generation ${n.generation})${
        n.draining > 0 ? `; draining ${n.draining} old worker(s) (generation ${n.oldGeneration}) before the next batch` : ""
      }`,
    fields: (n) => ({ generation: n.generation, batch: n.number }),
  },
  rollback_complete: {
    level: "info",
    text: (n) =>
      `Previous version back at ${n.workers} worker(s) (generation ${n.generation}); draining the workers of generation ${n.failed}`,
    fields: (n) => ({ generation: n.generation }),
  },
  recover_failed: { level: "error", text: () => "The previous version failed to start too — exiting" },
  import_check: { level: "info", text: (n) => `Checking that ${n.entry} imports before restarting the workers...` },
  restart_stopping_old: {
    level: "info",
    text: () => "Import check passed — stopping the old workers, then starting the new ones (stop-then-start reload)",
  },
  cutover_complete: {
    level: "info",
    text: (n) => `Cut-over complete: every new connection goes to generation ${n.generation}`,
    fields: (n) => ({ generation: n.generation }),
  },
  config_loaded: { level: "info", text: (n) => `Read configuration from ${n.file}` },
  tls_loaded: {
    level: "info",
    text: (n) => `TLS certificate ${n.cert}: serial ${n.serial}, valid until ${n.notAfter}`,
    fields: (n) => ({ cert: n.cert, serial: n.serial, not_after: n.notAfter }),
  },
  reload_complete: {
    level: "info",
    text: (n) => `Graceful reload complete. Running ${n.workers} worker(s) on generation ${n.generation}`,
    fields: (n) => ({ generation: n.generation }),
  },
  // Worker transitions the state file follows; the lines operators read say the same in their words.
  worker_spawned: null,
  warm_spawned: null,
  warm_ready: {
    level: "debug",
    text: (n) => `Warm worker ${n.warm} waiting for the next reload${n.pid ? ` (pid ${n.pid})` : ""}`,
    fields: (n) => ({ warm: n.warm }),
  },
  prespawn_unused: {
    level: "debug",
    text: (n) =>
      `The worker started ahead of the configuration ${n.worker === undefined ? "is not used" : `cannot become worker ${n.worker}`} (${n.why}) — starting a new worker instead`,
  },
  warm_mismatch: {
    level: "info",
    text: (n) => `Warm worker ${n.warm} cannot become worker ${n.worker} (${n.why}) — starting a new worker instead`,
    fields: (n) => ({ warm: n.warm, worker: n.worker }),
  },
  warm_died: {
    level: "warn",
    text: (n) => `Warm worker ${n.warm} died (${n.how}) — not replaced until the next reload completes`,
    fields: (n) => ({ warm: n.warm }),
  },
  warm_unsupported: {
    level: "warn",
    text: (n) => `--warm-workers has no effect on ${n.runtime}: its workers cannot be pre-started — reloads start new ones`,
  },
  worker_draining: null,
  worker_exited: null,
  worker_load: null,
  worker_ready: {
    level: "debug",
    text: (n) => `Worker ${n.worker} (generation ${n.generation}) ready${n.pid ? ` (pid ${n.pid})` : ""}`,
    fields: (n) => ({ worker: n.worker, generation: n.generation }),
  },
  worker_replacement_ready: {
    level: "info",
    text: (n) => `Replacement worker ${n.worker} (generation ${n.generation}) is ready`,
    fields: (n) => ({ worker: n.worker, generation: n.generation }),
  },
  worker_replaced: { level: "info", text: (n) => `Worker ${n.worker} replaces worker ${n.replaced}, which is now draining` },
  worker_fatal: {
    level: "warn",
    text: (n) =>
      `Worker ${n.worker} (generation ${n.generation}) reported a fatal error (${n.message}) — ${
        n.overlap ? "starting a replacement, then draining it" : "draining it, then starting a replacement (no port sharing)"
      }`,
  },
  app_as_root: {
    level: "warn",
    text: () =>
      "Running the app as root: any flaw in it or its dependencies has the whole machine — start with --user (e.g. --user nobody)",
  },
  workers_run_as: {
    level: "info",
    text: (n) => `Workers run as ${n.label} (uid ${n.uid}, gid ${n.gid})`,
    fields: (n) => ({ uid: n.uid, gid: n.gid }),
  },
  worker_timeout: {
    level: "error",
    text: (n) =>
      `Worker ${n.worker} (generation ${n.generation}) sent no heartbeat for ${seconds(n.silentMs / 1000)} (worker_timeout ${seconds(
        n.timeoutSeconds,
      )}: stuck or stopped) — killing it (SIGKILL)${n.replaced ? " and starting a replacement" : ""}`,
    fields: (n) => ({ worker: n.worker, pid: n.pid, silent_ms: n.silentMs, timeout_seconds: n.timeoutSeconds }),
  },
  worker_recycle: {
    level: "info",
    text: (n) =>
      `Worker ${n.worker} (generation ${n.generation}) ${
        n.limit === "max_requests"
          ? `served ${n.value} requests (max_requests ${n.bound})`
          : `uses ${n.value} MiB of memory (max_worker_memory ${n.bound} MiB)`
      } — recycling: ${n.overlap ? "starting a replacement, then draining it" : "draining it, then starting a replacement (no port sharing)"}`,
    fields: (n) => ({ worker: n.worker, limit: n.limit, value: n.value, bound: n.bound }),
  },
  worker_start_failed: {
    level: "error",
    text: (n) => `Replacement worker ${n.worker} (generation ${n.generation}) failed to start: ${n.cause}`,
  },
  worker_died: {
    level: "warn",
    text: (n) => `Worker ${n.worker} (generation ${n.generation}) died (${n.how})`,
    fields: (n) => ({ worker: n.worker }),
  },
  respawn_backoff: {
    level: "warn",
    text: (n) => `Workers keep dying — next replacement in ${seconds(n.delayMs / 1000)}`,
    fields: (n) => ({ delay_ms: n.delayMs }),
  },
  worker_idle: {
    level: "info",
    text: (n) => `Worker ${n.worker} (generation ${n.generation}) is idle`,
    fields: (n) => ({ worker: n.worker, generation: n.generation }),
  },
  worker_force_stop: {
    level: "warn",
    text: (n) =>
      `Worker ${n.worker}${n.generation === undefined ? "" : ` (generation ${n.generation})`} did not stop within ${n.setting} (${seconds(n.timeoutSeconds)}) — force terminating`,
    fields: (n) => ({ worker: n.worker, in_flight: n.inFlight }),
  },
  scale: {
    level: "info",
    text: (n) =>
      `Worker count ${n.from} → ${n.to} (${n.signal})${
        n.worker === undefined ? "" : n.adding ? `: starting worker ${n.worker}` : `: draining worker ${n.worker}`
      }`,
    fields: (n) => ({ signal: n.signal, workers: n.to }),
  },
  scale_refused: {
    level: "warn",
    text: (n) => `Worker count stays at ${n.workers} (${n.signal}): ${n.why}`,
    fields: (n) => ({ signal: n.signal, workers: n.workers }),
  },
  scale_queued: {
    level: "info",
    text: (n) =>
      `Received ${n.signal} — the worker count changes once ${n.wait === "boot" ? "start-up completes" : "the reload in progress settles"}`,
    fields: (n) => ({ signal: n.signal }),
  },
  scale_ignored: {
    level: "info",
    text: (n) => `Received ${n.signal} during shutdown — ignored`,
    fields: (n) => ({ signal: n.signal }),
  },
  scale_override_dropped: {
    level: "info",
    text: (n) => `The configuration's worker count (${n.configured}) replaces the one set by SIGTTIN/SIGTTOU (${n.override})`,
    fields: (n) => ({ workers: n.configured }),
  },
  worker_added: {
    level: "info",
    text: (n) => `Worker ${n.worker} (generation ${n.generation}) is ready — ${n.workers} worker(s)`,
    fields: (n) => ({ worker: n.worker, generation: n.generation }),
  },
  shutting_down: { level: "info", text: (n) => `Shutting down ${n.workers} worker(s)...` },
  worker_stopped: { level: "info", text: (n) => `Worker ${n.worker} stopped`, fields: (n) => ({ worker: n.worker }) },
  stopped: { level: "info", text: () => "All workers stopped" },
  watch_started: {
    level: "info",
    text: (n) =>
      `Watching ${n.dirs} director${n.dirs === 1 ? "y" : "ies"} under ${n.roots.join(", ")} for changes to ${n.extensions.join(" ")} (--reload)`,
  },
  watch_error: {
    level: "warn",
    text: (n) =>
      `Cannot watch ${n.dir} for changes: ${n.message}${
        n.limit ? " — raise the inotify limit: sysctl -w fs.inotify.max_user_watches=524288" : ""
      }`,
  },
  notify_via_helper: {
    level: "info",
    text: (n) =>
      `systemd notify messages go through ${n.helper} (this runtime has no unix datagram socket of its own)${
        n.root ? "" : ": as a non-root user systemd sees that helper as the sender, so the unit needs NotifyAccess=all"
      }`,
  },
  notify_failed: { level: "warn", text: (n) => `Cannot notify systemd at ${n.socket}: ${n.message}` },
  listen_fds_not_ours: {
    level: "warn",
    text: (n) =>
      `LISTEN_FDS is meant for pid ${n.listenPid}, not this process (pid ${n.pid}): ignored, listening on --host/--port`,
  },
  socket_activation: {
    level: "info",
    text: (n) =>
      `Serving on the socket systemd passed (fd ${n.fd}${n.names ? `, ${n.names}` : ""})${
        n.ignored.length ? `; ${n.ignored.join(" and ")} ignored` : ""
      }`,
  },
  // ── pounce wrap ──
  wrap_starting: {
    level: "info",
    text: (n) => `Starting pounce ${n.version} (${n.runtime}): wrapping ${n.command}, pid ${n.pid}`,
  },
  wrap_listening: { level: "info", text: (n) => `Listening on ${n.address} for every copy (fd 3, LISTEN_FDS=1)` },
  copy_started: {
    level: "info",
    text: (n) => `Started ${copy(n)}: ${n.command} in ${n.cwd}`,
    fields: (n) => ({ copy: n.copy, pid: n.pid }),
  },
  copy_ready: { level: "info", text: (n) => `${cap(copy(n))} is ready: ${n.via}`, fields: (n) => ({ copy: n.copy, pid: n.pid }) },
  wrap_ready: { level: "info", text: (n) => `Ready — ${copy(n)} is serving`, fields: (n) => ({ copy: n.copy, pid: n.pid }) },
  copy_stopping: {
    level: "info",
    text: (n) =>
      `Stopping ${copy(n)} with SIGTERM${n.why === "reload" ? " (replaced)" : n.why === "abandon" ? " (it never became ready)" : ""}`,
    fields: (n) => ({ copy: n.copy, pid: n.pid }),
  },
  copy_exited: { level: "info", text: (n) => `${cap(copy(n))} exited (${n.how})`, fields: (n) => ({ copy: n.copy, pid: n.pid }) },
  copy_died: {
    level: "warn",
    text: (n) => `${cap(copy(n))} died (${n.how})${lastOutput(n.output)}`,
    fields: (n) => ({ copy: n.copy, pid: n.pid, output: n.output }),
  },
  copy_force_stop: {
    level: "warn",
    text: (n) => `${cap(copy(n))} did not exit within ${n.setting} (${seconds(n.timeoutSeconds)}) — killing its process group`,
    fields: (n) => ({ copy: n.copy, pid: n.pid }),
  },
  copy_restart_backoff: {
    level: "warn",
    text: (n) => `The command keeps dying — next start in ${seconds(n.delayMs / 1000)}`,
    fields: (n) => ({ delay_ms: n.delayMs }),
  },
  wrap_reload_complete: {
    level: "info",
    text: (n) => `Reload complete — ${copy(n)} is serving`,
    fields: (n) => ({ copy: n.copy, pid: n.pid }),
  },
  wrap_exit_with_copy: {
    level: "info",
    text: (n) => `--no-restart: exiting with copy ${n.copy}'s status (${n.code})`,
  },
  wrap_stopped: { level: "info", text: () => "All copies stopped" },
  exiting: null,
};

function copy(n: { copy: number; pid?: number }): string {
  return `copy ${n.copy}${n.pid === undefined ? "" : ` (pid ${n.pid})`}`;
}
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `; last output: a | b` — the tail of a copy's output, for a line saying why it failed. */
export function lastOutput(lines: string[]): string {
  return lines.length ? `; last output: ${lines.join(" | ")}` : "; no output";
}

/** The observer that writes the supervisor's log. */
export function logObserver(log: Logger): Observer {
  return (note) => {
    const line = LOG_LINES[note.event] as Line<typeof note.event>;
    if (!line || !log.enabled(line.level)) return;
    log.write({ ...line.fields?.(note as never), event: note.event, level: line.level, msg: line.text(note as never) });
  };
}
