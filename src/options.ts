/**
 * The option table: every serve option's flag, env name, kind, default and --help text, in --help's
 * order. config.ts resolves it; option-values.ts parses and checks one value.
 */
import type { Config } from "./config.ts";

export type Kind =
  /** Comma-separated; a flag may also be repeated (`--reload-dir a --reload-dir b`). */
  | "list"
  | "extensions"
  | "string"
  | "port"
  /** Octal permission bits (a file may also give a number, e.g. 0o660). */
  | "mode"
  | "workers"
  | "count"
  /** A whole number with no small upper bound (0 = off): request counts, megabytes. */
  | "limit"
  | "seconds"
  | "optional-seconds"
  | "seconds-or-zero"
  /** A byte count, optionally with a unit: 1048576, 512KiB, 4MiB (k/m/g and KB/MB/GB read as KiB/MiB/GiB). */
  | "bytes"
  | "path"
  | "enum"
  | "boolean";

export interface OptionSpec {
  key: Exclude<keyof Config, "entry" | "tls">;
  flag: string;
  kind: Kind;
  description: string;
  default: string;
  choices?: readonly string[];
  /** Env names read after POUNCE_<NAME>, for compatibility with container conventions. */
  legacyEnv?: string[];
  valueHint?: string;
  /** Read once at start (the listening address, the log sink, …): a config file that changes it on
   *  a reload has that reload refused. Every other option takes effect with the next generation. */
  fixedAtStart?: true;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: "host",
    flag: "host",
    kind: "string",
    default: "127.0.0.1",
    legacyEnv: ["HOST"],
    fixedAtStart: true,
    valueHint: "addr",
    description: "Address to listen on",
  },
  {
    key: "port",
    flag: "port",
    kind: "port",
    default: "8000",
    legacyEnv: ["PORT"],
    fixedAtStart: true,
    valueHint: "n",
    description: "Port to listen on (0 picks a free one)",
  },
  {
    key: "uds",
    flag: "uds",
    kind: "string",
    default: "",
    fixedAtStart: true,
    valueHint: "path",
    description: "Serve on this unix socket instead of TCP (--host/--port are then ignored)",
  },
  {
    key: "udsMode",
    flag: "uds-mode",
    kind: "mode",
    default: "0660",
    fixedAtStart: true,
    valueHint: "octal",
    description: "Permissions of the --uds socket: owner and group may connect (e.g. a proxy in the app's group)",
  },
  {
    key: "workers",
    flag: "workers",
    kind: "workers",
    default: "1",
    valueHint: "n|auto",
    description: "Worker count; auto = available parallelism",
  },
  {
    key: "reloadTimeout",
    flag: "reload-timeout",
    kind: "seconds",
    default: "30",
    valueHint: "s",
    description: "Seconds an old worker may drain on reload before it is force-stopped",
  },
  {
    key: "reloadStagger",
    flag: "reload-stagger",
    kind: "seconds-or-zero",
    default: "0.5",
    valueHint: "s",
    description:
      "Seconds between draining one old worker and the next on reload, so new workers take traffic in steps (0 = all at once)",
  },
  {
    key: "reloadBatch",
    flag: "reload-batch",
    kind: "count",
    default: "0",
    valueHint: "n",
    description:
      "On reload, replace workers n at a time: start n new, wait until ready, drain n old, then the next n (0 = all at once)",
  },
  {
    key: "warmWorkers",
    flag: "warm-workers",
    kind: "count",
    default: "0",
    valueHint: "n",
    description:
      "Keep n workers pre-started (runtime and loader loaded, no app) that the next reload takes instead of starting new ones (0 = off)",
  },
  {
    key: "shutdownTimeout",
    flag: "shutdown-timeout",
    kind: "seconds",
    default: "10",
    legacyEnv: ["SHUTDOWN_TIMEOUT"],
    valueHint: "s",
    description: "Seconds in-flight work may finish on SIGTERM/SIGINT",
  },
  {
    key: "shutdownDelay",
    flag: "shutdown-delay",
    kind: "seconds-or-zero",
    default: "0",
    valueHint: "s",
    description:
      "On SIGTERM/SIGINT, keep serving this many seconds with health answering 503 before draining (a built-in preStop sleep)",
  },
  {
    key: "startupTimeout",
    flag: "startup-timeout",
    kind: "seconds",
    default: "30",
    valueHint: "s",
    description: "Seconds a new worker has to import the app and listen",
  },
  {
    key: "requestTimeout",
    flag: "request-timeout",
    kind: "optional-seconds",
    default: "",
    valueHint: "s",
    description: "504 when a handler has not returned its response within this many seconds (off by default)",
  },
  {
    key: "headerTimeout",
    flag: "header-timeout",
    kind: "seconds",
    default: "10",
    valueHint: "s",
    description: "Seconds a client has to send a complete request head; a slower or silent connection is closed",
  },
  {
    key: "keepAliveTimeout",
    flag: "keep-alive-timeout",
    kind: "seconds",
    default: "5",
    valueHint: "s",
    description: "Seconds a kept-alive connection may stay idle between requests before it is closed",
  },
  {
    key: "maxBodySize",
    flag: "max-body-size",
    kind: "bytes",
    default: "4MiB",
    valueHint: "bytes",
    description: "Largest request body (e.g. 512KiB, 4MiB); a larger one is answered 413 and its connection closed",
  },
  {
    key: "maxHeaderSize",
    flag: "max-header-size",
    kind: "bytes",
    default: "16KiB",
    valueHint: "bytes",
    description: "Largest request head (request line and headers); a larger one is answered 431 (Deno: 400 above 64KiB)",
  },
  {
    key: "workerTimeout",
    flag: "worker-timeout",
    kind: "seconds-or-zero",
    default: "30",
    valueHint: "s",
    description:
      "Kill and replace a serving worker whose event loop sent no heartbeat for this many seconds (stuck in a synchronous loop, stopped); 0 = off",
  },
  {
    key: "maxRequests",
    flag: "max-requests",
    kind: "limit",
    default: "0",
    valueHint: "n",
    description: "Recycle a worker after it served this many requests: a replacement starts, then the old one drains (0 = off)",
  },
  {
    key: "maxRequestsJitter",
    flag: "max-requests-jitter",
    kind: "limit",
    default: "0",
    valueHint: "n",
    description: "With --max-requests: add a random 0..n to each worker's limit, so workers do not recycle all at once",
  },
  {
    key: "maxWorkerMemory",
    flag: "max-worker-memory",
    kind: "limit",
    default: "0",
    valueHint: "MiB",
    description:
      "Recycle a worker whose resident memory (RSS) passes this many MiB: a replacement starts, then the old one drains (0 = off)",
  },
  {
    key: "healthCheckPath",
    flag: "health-check-path",
    kind: "path",
    default: "",
    valueHint: "/path",
    description: "Serve server health at this path, before the app (off by default)",
  },
  {
    key: "readyPath",
    flag: "ready-path",
    kind: "path",
    default: "",
    valueHint: "/path",
    description:
      "A new worker takes traffic only once its app answers 2xx here (asked in-process, retried up to startup_timeout)",
  },
  {
    key: "metricsPath",
    flag: "metrics-path",
    kind: "path",
    default: "",
    fixedAtStart: true,
    valueHint: "/path",
    description: "Serve Prometheus metrics of all workers at this path, before the app (off by default)",
  },
  {
    key: "pidFile",
    flag: "pid-file",
    kind: "string",
    default: "",
    fixedAtStart: true,
    valueHint: "file",
    description: "Write the supervisor's PID here once ready",
  },
  {
    key: "logFormat",
    flag: "log-format",
    kind: "enum",
    choices: ["text", "json"],
    default: "text",
    fixedAtStart: true,
    description: "Log line format",
  },
  {
    key: "logLevel",
    flag: "log-level",
    kind: "enum",
    choices: ["debug", "info", "warn", "error"],
    default: "info",
    description: "Lowest level logged",
  },
  { key: "accessLog", flag: "access-log", kind: "boolean", default: "false", description: "Log one line per request" },
  {
    key: "reloadStrategy",
    flag: "reload-strategy",
    kind: "enum",
    choices: ["auto", "overlap", "restart"],
    default: "auto",
    fixedAtStart: true,
    description:
      "overlap old and new workers, or restart (stop-then-start); auto picks overlap where the runtime can share the port",
  },
  {
    key: "reload",
    flag: "reload",
    kind: "boolean",
    default: "false",
    fixedAtStart: true,
    description: "Development: reload (rolling, as on SIGHUP) when a file under the entry's directory changes",
  },
  {
    key: "reloadInclude",
    flag: "reload-include",
    kind: "extensions",
    default: "",
    fixedAtStart: true,
    valueHint: ".ext,…",
    description: "With --reload: also watch these extensions (comma-separated, e.g. .html,.css)",
  },
  {
    key: "reloadDir",
    flag: "reload-dir",
    kind: "list",
    default: "",
    fixedAtStart: true,
    valueHint: "dir",
    description: "With --reload: also watch this directory (repeatable, or comma-separated)",
  },
  {
    key: "tlsCert",
    flag: "tls-cert",
    kind: "string",
    default: "",
    valueHint: "file",
    description:
      "Serve HTTPS with this PEM certificate chain (with --tls-key); read and checked again on every reload, so a renewed certificate goes live with SIGHUP",
  },
  {
    key: "tlsKey",
    flag: "tls-key",
    kind: "string",
    default: "",
    valueHint: "file",
    description: "The PEM private key of --tls-cert",
  },
  {
    key: "tlsKeyPassphrase",
    flag: "tls-key-passphrase",
    kind: "string",
    default: "",
    valueHint: "text",
    description: "Passphrase of an encrypted --tls-key (prefer the POUNCE_TLS_KEY_PASSPHRASE env: flags show in ps)",
  },
  {
    key: "tlsCa",
    flag: "tls-ca",
    kind: "string",
    default: "",
    valueHint: "file",
    description: "Intermediate CA certificates (PEM) sent after the certificate, when the --tls-cert file holds the leaf alone",
  },
  {
    key: "user",
    flag: "user",
    kind: "string",
    default: "",
    fixedAtStart: true,
    valueHint: "name|uid",
    description: "Run the app (every worker, across reloads) as this user; pounce must start as root",
  },
  {
    key: "group",
    flag: "group",
    kind: "string",
    default: "",
    fixedAtStart: true,
    valueHint: "name|gid",
    description: "With --user: run the app with this group instead of the user's primary group",
  },
  {
    key: "config",
    flag: "config",
    kind: "string",
    default: "",
    fixedAtStart: true,
    valueHint: "file",
    description: "Config file (default: pounce.config.ts, .mts, .js or .mjs in the working directory, if there is one)",
  },
];

/** Options a config file may not set (they say where the file is). */
export const NOT_IN_FILE = new Set<string>(["config"]);

export function envName(spec: Pick<OptionSpec, "flag">): string {
  return `POUNCE_${spec.flag.toUpperCase().replaceAll("-", "_")}`;
}
