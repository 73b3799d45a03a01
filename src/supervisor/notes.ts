/**
 * What the supervisor tells its observers: one note per transition worth reporting. The log
 * observer turns each into a line through the table in log-lines.ts; the pid file (and next the
 * systemd notifier, a status file, metrics) listen for the ones they care about.
 * The discriminant is the JSON log's stable `event` name.
 */
import type { LifecycleSignal, ScaleSignal } from "../adapter.ts";
import type { ListenTarget } from "../listen-target.ts";
import type { DrainReason } from "../protocol.ts";
import type { ReloadCause } from "./events.ts";

export type Note =
  | { event: "reload_strategy_restart"; why: string; batchIgnored?: boolean }
  | { event: "reload_requested"; cause: ReloadCause }
  | { event: "reload_ignored"; cause: ReloadCause }
  | { event: "reload_queued"; wait: "boot" | "rollout" | "cooldown"; waitMs: number }
  /** A reload leaves the queue and starts: every request noted before it is covered by it. */
  | { event: "reload_started" }
  | { event: "shutdown_requested"; signal: LifecycleSignal; because?: string }
  | { event: "shutdown_forced"; signal: LifecycleSignal }
  | { event: "shutdown_delayed"; seconds: number }
  | { event: "shutdown_delay_cut"; signal: LifecycleSignal }
  | { event: "generation_starting"; generation: number; workers: number }
  | { event: "ready"; listen: ListenTarget; tls?: true; generation: number; workers: number; runtime: string }
  /** --uds given together with --host/--port (or HOST/PORT in the environment): those are ignored. */
  | { event: "tcp_ignored"; path: string; ignored: string[] }
  | { event: "unix_socket_error"; path: string; message: string }
  /** The process title did not fit in the command line's room: `ps` shows only `shown`. */
  | { event: "title_cut"; title: string; shown: string }
  | { event: "pid_file_error"; file: string; message: string }
  | { event: "state_file_error"; file: string; message: string }
  | { event: "boot_failed"; generation: number; cause: string }
  | { event: "reimported"; generation: number; entry: string }
  | { event: "draining_old"; generation: number; staggerSeconds: number; count: number }
  /** `batch`: the reload batch that failed (a later one: the old generation's workers start again). */
  | {
      event: "reload_failed";
      generation?: number;
      cause: string;
      oldStopped: boolean;
      batch?: { number: number; total: number };
    }
  | { event: "batch_starting"; generation: number; number: number; total: number; workers: number }
  | { event: "batch_ready"; generation: number; number: number; total: number; draining: number; oldGeneration?: number }
  | { event: "rollback_complete"; generation: number; workers: number; failed: number }
  | { event: "recover_failed" }
  | { event: "import_check"; entry: string }
  | { event: "restart_stopping_old" }
  /** Every new connection now reaches `generation`: no older worker accepts any more. */
  | { event: "cutover_complete"; generation: number }
  | { event: "reload_complete"; generation: number; workers: number }
  /** `warm`: a warm worker took this place (supervisor/warm.ts) instead of a spawn. */
  | { event: "worker_spawned"; worker: number; generation: number; mode: "serve" | "check"; pid?: number; warm?: true }
  | { event: "warm_spawned"; warm: number; pid?: number }
  | { event: "warm_ready"; warm: number; pid?: number }
  /** A warm worker could not become this one (what its spawn fixed differs): killed, a spawn instead. */
  | { event: "warm_mismatch"; warm: number; worker: number; why: string }
  /** Not killed by the supervisor: forgotten until the next completed reload (no spawn loop). */
  | { event: "warm_died"; warm: number; how: string }
  | { event: "warm_unsupported"; runtime: string }
  /** The worker started before the configuration was read (prespawn.ts) was not used: killed, or it died. */
  | { event: "prespawn_unused"; worker?: number; why: string }
  | { event: "worker_draining"; worker: number; generation: number; reason: DrainReason }
  | { event: "worker_exited"; worker: number; generation: number; how: string }
  /** A worker's in-flight count changed (reported at most once a second). */
  | { event: "worker_load"; worker: number; inFlight: number }
  | { event: "config_loaded"; file: string }
  /** The TLS files were read and passed the checks (at start, and for each reload about to start). */
  | { event: "tls_loaded"; cert: string; serial: string; notAfter: string }
  /** pounce runs as root and no --user was given: the app would run as root. */
  | { event: "app_as_root" }
  | { event: "workers_run_as"; label: string; uid: number; gid: number }
  | { event: "worker_ready"; worker: number; generation: number; pid?: number }
  | { event: "worker_replacement_ready"; worker: number; generation: number }
  | { event: "worker_replaced"; worker: number; replaced: number }
  | { event: "worker_fatal"; worker: number; generation: number; message: string; overlap: boolean }
  /** The watchdog (watchdog.ts): no heartbeat for `silentMs`, past --worker-timeout. */
  | {
      event: "worker_timeout";
      worker: number;
      generation: number;
      pid?: number;
      silentMs: number;
      timeoutSeconds: number;
      /** It belongs to the serving generation, so a replacement starts (not so for an old one). */
      replaced: boolean;
    }
  /** recycle.ts: a limit was passed; a replacement starts (or, without port sharing, it drains first). */
  | {
      event: "worker_recycle";
      worker: number;
      generation: number;
      limit: "max_requests" | "max_worker_memory";
      value: number;
      bound: number;
      overlap: boolean;
    }
  | { event: "worker_start_failed"; worker: number; generation: number; cause: string }
  | { event: "worker_died"; worker: number; generation: number; how: string }
  | { event: "respawn_backoff"; delayMs: number }
  | { event: "worker_idle"; worker: number; generation: number }
  | {
      event: "worker_force_stop";
      worker: number;
      generation?: number;
      setting: string;
      timeoutSeconds: number;
      inFlight: number;
    }
  | { event: "scale"; signal: ScaleSignal; from: number; to: number; worker?: number; adding: boolean }
  | { event: "scale_refused"; signal: ScaleSignal; workers: number; why: string }
  | { event: "scale_queued"; signal: ScaleSignal; wait: "boot" | "rollout" }
  | { event: "scale_ignored"; signal: ScaleSignal }
  | { event: "scale_override_dropped"; configured: number; override: number }
  | { event: "worker_added"; worker: number; generation: number; workers: number }
  | { event: "shutting_down"; workers: number }
  | { event: "worker_stopped"; worker: number }
  | { event: "stopped" }
  /** `--reload`: the file watcher is up (src/watch/). */
  | { event: "watch_started"; dirs: number; roots: string[]; extensions: string[] }
  | { event: "watch_error"; dir: string; message: string; limit: boolean }
  | { event: "notify_via_helper"; helper: string; root: boolean }
  | { event: "notify_failed"; socket: string; message: string }
  | { event: "listen_fds_not_ours"; listenPid: string; pid: number }
  | { event: "socket_activation"; fd: number; names: string; ignored: string[] }
  // ── pounce wrap (src/wrap/): copies of one command instead of workers ──
  | { event: "wrap_starting"; version: string; runtime: string; command: string; pid: number }
  | { event: "wrap_listening"; address: string }
  | { event: "copy_started"; copy: number; pid?: number; command: string; cwd: string; purpose: "boot" | "reload" | "restart" }
  | { event: "copy_ready"; copy: number; pid?: number; via: string }
  | { event: "wrap_ready"; copy: number; pid?: number }
  | { event: "copy_stopping"; copy: number; pid?: number; why: "reload" | "shutdown" | "abandon" }
  | { event: "copy_exited"; copy: number; pid?: number; how: string }
  | { event: "copy_died"; copy: number; pid?: number; how: string; output: string[] }
  | { event: "copy_force_stop"; copy: number; pid?: number; setting: string; timeoutSeconds: number }
  | { event: "copy_restart_backoff"; delayMs: number }
  | { event: "wrap_reload_complete"; copy: number; pid?: number }
  | { event: "wrap_exit_with_copy"; copy: number; code: number }
  | { event: "wrap_stopped" }
  /** The supervisor is about to exit: the last note, never logged. */
  | { event: "exiting"; code: number };

export type NoteOf<E extends Note["event"]> = Extract<Note, { event: E }>;

/** An observer hears every note, in order, synchronously. */
export type Observer = (note: Note) => void;
