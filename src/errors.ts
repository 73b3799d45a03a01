/**
 * Every user-facing error pounce can raise lives here, so an operator's message can be found by
 * grepping its code. A `PounceError` is a user mistake or an environment problem: it is printed as
 * one line and turned into an exit code, never a stack trace.
 */

import type { ListenTarget } from "./listen-target.ts";

/** Exit codes, as the lifecycle contract sets them. */
export const EXIT = {
  ok: 0,
  /** The server could not start or keep running, or a second signal cut a shutdown short. */
  failure: 1,
  /** A usage or config error: bad flag, unknown flag, bad value, missing entry file. */
  usage: 2,
} as const;

export type ErrorCode =
  | "E_UNKNOWN_FLAG"
  | "E_BAD_VALUE"
  | "E_MISSING_ENTRY"
  | "E_ENTRY_NOT_FOUND"
  | "E_UNKNOWN_COMMAND"
  | "E_WRAP_USAGE"
  | "E_COMMAND_NOT_FOUND"
  | "E_NO_FETCH"
  | "E_IMPORT"
  | "E_INIT"
  | "E_WEBSOCKET"
  | "E_PORT_IN_USE"
  | "E_LISTEN"
  | "E_STARTUP_TIMEOUT"
  | "E_WORKER_EXITED"
  | "E_PERMISSION"
  // Control commands (pounce reload / stop / status).
  | "E_NO_TARGET"
  | "E_NOT_RUNNING"
  | "E_STALE_PID"
  | "E_FOREIGN_PID"
  | "E_NO_STATE"
  | "E_SHUTTING_DOWN"
  | "E_RELOAD_FAILED"
  | "E_CONTROL_TIMEOUT"
  | "E_SERVER_GONE"
  | "E_SYSTEMD"
  | "E_CONFIG"
  | "E_TLS"
  | "E_WORKDIR";

const USAGE_CODES = new Set<ErrorCode>([
  "E_UNKNOWN_FLAG",
  "E_BAD_VALUE",
  "E_MISSING_ENTRY",
  "E_ENTRY_NOT_FOUND",
  "E_UNKNOWN_COMMAND",
  "E_NO_TARGET",
  "E_CONFIG",
  "E_TLS",
  "E_WORKDIR",
  "E_WRAP_USAGE",
  "E_COMMAND_NOT_FOUND",
]);

export class PounceError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "PounceError";
    this.code = code;
  }
  get exitCode(): number {
    return USAGE_CODES.has(this.code) ? EXIT.usage : EXIT.failure;
  }
}

export const errors = {
  unknownFlag: (flag: string) => new PounceError("E_UNKNOWN_FLAG", `unknown option ${flag} (see pounce --help)`),
  badValue: (flag: string, rule: string, got: unknown) =>
    new PounceError("E_BAD_VALUE", `${flag} ${rule} (got ${JSON.stringify(got)})`),
  badCombination: (flag: string, why: string) => new PounceError("E_BAD_VALUE", `${flag} ${why}`),
  missingEntry: () =>
    new PounceError(
      "E_MISSING_ENTRY",
      "missing entry: pounce <entry>[:export], or entry in pounce.config.ts (see pounce --help)",
    ),
  configNotFound: (file: string) => new PounceError("E_CONFIG", `config file not found: ${file} (from --config / POUNCE_CONFIG)`),
  configAmbiguous: (dir: string, found: string[]) =>
    new PounceError("E_CONFIG", `more than one config file in ${dir} (${found.join(", ")}): keep one, or pick one with --config`),
  configLoad: (file: string, cause: string) => new PounceError("E_CONFIG", `cannot load config file ${file}: ${cause}`),
  configShape: (file: string, got: string) =>
    new PounceError(
      "E_CONFIG",
      `${file}: the default export must be an object, e.g. export default defineConfig({ workers: 2 }) (got ${got})`,
    ),
  configUnknownField: (file: string, field: string, hint: string) =>
    new PounceError("E_CONFIG", `${file}: unknown field ${JSON.stringify(field)} (${hint})`),
  configFixed: (file: string, field: string, from: unknown, to: unknown) =>
    new PounceError(
      "E_CONFIG",
      `${file}: ${field} cannot change on a reload (${JSON.stringify(from)} → ${JSON.stringify(to)}); restart pounce to apply it`,
    ),
  /** A TLS file that cannot be served: missing, unreadable, expired, not yet valid, or not a pair. */
  tls: (file: string, why: string) => new PounceError("E_TLS", `TLS file ${file} ${why}`),
  workdirGone: (dir: string, cause: string) =>
    new PounceError("E_WORKDIR", `working directory ${dir} does not resolve to a directory: ${cause}`),
  entryNotFound: (spec: string, tried: string[]) =>
    new PounceError(
      "E_ENTRY_NOT_FOUND",
      `entry file not found: ${spec}${tried.length > 1 ? ` (tried ${tried.join(", ")})` : ""}`,
    ),
  wrapUsage: (what: string) => new PounceError("E_WRAP_USAGE", `${what} (see pounce wrap --help)`),
  commandNotFound: (cmd: string) =>
    new PounceError("E_COMMAND_NOT_FOUND", `command not found: ${cmd} (give a path, or put it on PATH)`),
  unknownCommand: (name: string) =>
    new PounceError("E_UNKNOWN_COMMAND", `unknown command ${JSON.stringify(name)} (see pounce --help)`),
  oneEntry: (entries: string[]) =>
    new PounceError(
      "E_UNKNOWN_COMMAND",
      `one entry expected, got ${entries.length}: ${entries.join(" ")} (usage: pounce [serve] <entry>[:export] [options])`,
    ),
  noTarget: (command: string) =>
    new PounceError(
      "E_NO_TARGET",
      `pounce ${command} needs the server: --pid-file FILE (or env POUNCE_PID_FILE) or --pid N (see pounce ${command} --help)`,
    ),
  notRunning: (pidFile: string, last?: string) =>
    new PounceError("E_NOT_RUNNING", `pounce is not running: no pid file ${pidFile}${last ? ` (${last})` : ""}`),
  unexpectedArgument: (command: string, arg: string) =>
    new PounceError(
      "E_UNKNOWN_COMMAND",
      `pounce ${command} takes no arguments, got ${JSON.stringify(arg)} (see pounce ${command} --help)`,
    ),
  badPidFile: (pidFile: string, got: string) =>
    new PounceError("E_STALE_PID", `pid file ${pidFile} holds no pid (got ${JSON.stringify(got.slice(0, 40))})`),
  stalePid: (where: string, pid: number) =>
    new PounceError("E_STALE_PID", `${where}: no process ${pid} is running (stale; pounce is not running there)`),
  foreignPid: (where: string, pid: number, what: string) =>
    new PounceError("E_FOREIGN_PID", `${where}: pid ${pid} is now another program (${what}) — not signalling it`),
  noState: (pid: number, why: string) =>
    new PounceError("E_NO_STATE", `no state file for pounce pid ${pid} (${why}): start the server with --pid-file`),
  shuttingDown: (pid: number) => new PounceError("E_SHUTTING_DOWN", `pounce (pid ${pid}) is shutting down`),
  reloadFailed: (cause: string, serving: number | null) =>
    new PounceError(
      "E_RELOAD_FAILED",
      `reload failed${serving === null ? "" : ` — generation ${serving} keeps serving`}: ${cause}`,
    ),
  controlTimeout: (what: string, seconds: number, hint: string) =>
    new PounceError("E_CONTROL_TIMEOUT", `${what} within --timeout ${seconds}s (${hint})`),
  serverGone: (pid: number, during: string) => new PounceError("E_SERVER_GONE", `pounce (pid ${pid}) exited ${during}`),
  noFetch: (entry: string, exportName: string, found: string) =>
    new PounceError(
      "E_NO_FETCH",
      `${entry} has no fetch handler in export "${exportName}" (${found}); expected ` +
        "`export default { fetch(request) {…} }`, a Hono app, or a named export (file.ts:name)",
    ),
  webSocketExport: () =>
    new PounceError(
      "E_WEBSOCKET",
      "the app's `websocket` export on Node must be `{ server }` with a `ws` WebSocketServer made with " +
        "`new WebSocketServer({ noServer: true })` (as @hono/node-server's serve() takes it), or crossws's Node adapter",
    ),
  importFailed: (entry: string, cause: string) => new PounceError("E_IMPORT", `failed to import ${entry}: ${cause}`),
  initFailed: (entry: string, cause: string) => new PounceError("E_INIT", `init() of ${entry} failed: ${cause}`),
  portInUse: (host: string, port: number) => new PounceError("E_PORT_IN_USE", `address ${host}:${port} is already in use`),
  listenFailed: (host: string, port: number, cause: string) =>
    new PounceError("E_LISTEN", `cannot listen on ${host}:${port}: ${cause}`),
  socketInUse: (path: string) =>
    new PounceError("E_PORT_IN_USE", `unix socket ${path} is already in use (something accepts connections on it)`),
  notASocket: (path: string, what: string) =>
    new PounceError("E_BAD_VALUE", `--uds ${path} is ${what}: remove it or choose another path`),
  socketFailed: (path: string, cause: string) => new PounceError("E_LISTEN", `cannot listen on unix socket ${path}: ${cause}`),
  udsWorkers: (workers: number, runtime: string) =>
    new PounceError(
      "E_BAD_VALUE",
      `--uds with --workers ${workers}: on ${runtime} each worker binds its own listener and unix sockets have no SO_REUSEPORT, so one socket is served by one worker — use --workers 1 (or run pounce on Node, whose workers share the socket)`,
    ),
  listenOn: (address: string, cause: string) => new PounceError("E_LISTEN", `cannot listen on ${address}: ${cause}`),
  startupTimeout: (seconds: number) =>
    new PounceError("E_STARTUP_TIMEOUT", `worker not ready within startup_timeout (${seconds.toFixed(1)}s)`),
  workerExited: (detail: string) => new PounceError("E_WORKER_EXITED", `worker exited during start-up (${detail})`),
  systemd: (message: string) => new PounceError("E_SYSTEMD", message),
};

/** A worker's listen failure, in the words of its target (the address in use, or why not). */
export function listenFailure(t: ListenTarget, cause: string, inUse: boolean): PounceError {
  if (t.kind === "tcp") return inUse ? errors.portInUse(t.host, t.port) : errors.listenFailed(t.host, t.port, cause);
  if (t.kind === "unix") return errors.socketFailed(t.path, cause);
  return new PounceError("E_LISTEN", `cannot listen on fd ${t.fd}: ${cause}`);
}

/** One line describing any thrown value: the message for errors, never the stack. */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const first = String(err.message).split("\n")[0] ?? "";
    return typeof code === "string" && !(err instanceof PounceError) && !first.includes(code)
      ? `${err.name}: ${first} [${code}]`
      : err instanceof PounceError
        ? first
        : `${err.name}: ${first}`;
  }
  return String(err);
}
