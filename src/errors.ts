/**
 * Every user-facing error pounce can raise lives here, so an operator's message can be found by
 * grepping its code. A `PounceError` is a user mistake or an environment problem: it is printed as
 * one line and turned into an exit code, never a stack trace.
 */

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
  | "E_PORT_IN_USE"
  | "E_LISTEN"
  | "E_STARTUP_TIMEOUT"
  | "E_WORKER_EXITED"
  | "E_PERMISSION"
  | "E_SYSTEMD";

const USAGE_CODES = new Set<ErrorCode>([
  "E_UNKNOWN_FLAG",
  "E_BAD_VALUE",
  "E_MISSING_ENTRY",
  "E_ENTRY_NOT_FOUND",
  "E_UNKNOWN_COMMAND",
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
  missingEntry: () => new PounceError("E_MISSING_ENTRY", "missing entry: pounce <entry>[:export] (see pounce --help)"),
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
  noFetch: (entry: string, exportName: string, found: string) =>
    new PounceError(
      "E_NO_FETCH",
      `${entry} has no fetch handler in export "${exportName}" (${found}); expected ` +
        "`export default { fetch(request) {…} }`, a Hono app, or a named export (file.ts:name)",
    ),
  importFailed: (entry: string, cause: string) => new PounceError("E_IMPORT", `failed to import ${entry}: ${cause}`),
  portInUse: (host: string, port: number) => new PounceError("E_PORT_IN_USE", `address ${host}:${port} is already in use`),
  listenFailed: (host: string, port: number, cause: string) =>
    new PounceError("E_LISTEN", `cannot listen on ${host}:${port}: ${cause}`),
  listenOn: (address: string, cause: string) => new PounceError("E_LISTEN", `cannot listen on ${address}: ${cause}`),
  startupTimeout: (seconds: number) =>
    new PounceError("E_STARTUP_TIMEOUT", `worker not ready within startup_timeout (${seconds.toFixed(1)}s)`),
  workerExited: (detail: string) => new PounceError("E_WORKER_EXITED", `worker exited during start-up (${detail})`),
  systemd: (message: string) => new PounceError("E_SYSTEMD", message),
};

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
