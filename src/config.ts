/**
 * The server's configuration: one table of options (flag, env, default, rule), resolved as
 * flag > POUNCE_<NAME> env > legacy env (HOST, PORT) > default, and validated before anything starts.
 */
import { availableParallelism } from "node:os";
import { errors } from "./errors.ts";

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type ReloadStrategy = "auto" | "overlap" | "restart";

export interface Config {
  entry: string;
  host: string;
  port: number;
  workers: number;
  reloadTimeout: number;
  /** Seconds between draining one old worker and the next on a reload (0: all at once). */
  reloadStagger: number;
  shutdownTimeout: number;
  startupTimeout: number;
  /** Seconds, or 0 when off. */
  requestTimeout: number;
  /** Empty when off. */
  healthCheckPath: string;
  pidFile: string;
  logFormat: LogFormat;
  logLevel: LogLevel;
  accessLog: boolean;
  reloadStrategy: ReloadStrategy;
}

type Kind = "string" | "port" | "workers" | "seconds" | "optional-seconds" | "seconds-or-zero" | "path" | "enum" | "boolean";

export interface OptionSpec {
  key: Exclude<keyof Config, "entry">;
  flag: string;
  kind: Kind;
  description: string;
  default: string;
  choices?: readonly string[];
  /** Env names read after POUNCE_<NAME>, for compatibility with container conventions. */
  legacyEnv?: string[];
  valueHint?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: "host",
    flag: "host",
    kind: "string",
    default: "127.0.0.1",
    legacyEnv: ["HOST"],
    valueHint: "addr",
    description: "Address to listen on",
  },
  {
    key: "port",
    flag: "port",
    kind: "port",
    default: "8000",
    legacyEnv: ["PORT"],
    valueHint: "n",
    description: "Port to listen on (0 picks a free one)",
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
    key: "shutdownTimeout",
    flag: "shutdown-timeout",
    kind: "seconds",
    default: "10",
    valueHint: "s",
    description: "Seconds in-flight work may finish on SIGTERM/SIGINT",
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
    description: "Abort a handler after this many seconds with a 504 (off by default)",
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
    key: "pidFile",
    flag: "pid-file",
    kind: "string",
    default: "",
    valueHint: "file",
    description: "Write the supervisor's PID here once ready",
  },
  {
    key: "logFormat",
    flag: "log-format",
    kind: "enum",
    choices: ["text", "json"],
    default: "text",
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
    description:
      "overlap old and new workers, or restart (stop-then-start); auto picks overlap where the runtime can share the port",
  },
];

export function envName(spec: Pick<OptionSpec, "flag">): string {
  return `POUNCE_${spec.flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Resolve raw flag values (already known to be valid flag names) against env and defaults. */
export function resolveConfig(
  entry: string,
  flags: Partial<Record<string, string | boolean>>,
  env: Record<string, string | undefined>,
): Config {
  const out: Record<string, unknown> = { entry };
  for (const spec of OPTIONS) {
    let raw: string | boolean | undefined = flags[spec.flag];
    let source = `--${spec.flag}`;
    if (raw === undefined) {
      for (const name of [envName(spec), ...(spec.legacyEnv ?? [])]) {
        if (env[name] !== undefined && env[name] !== "") {
          raw = env[name];
          source = name;
          break;
        }
      }
    }
    if (raw === undefined) {
      raw = spec.default;
      source = `--${spec.flag}`;
    }
    out[spec.key] = parseValue(spec, raw, source);
  }
  return out as unknown as Config;
}

/** One raw value checked against its option's rule (also used by `pounce wrap`'s own table). */
export function parseValue(spec: Pick<OptionSpec, "kind" | "choices">, raw: string | boolean, source: string): unknown {
  const text = typeof raw === "boolean" ? String(raw) : raw.trim();
  switch (spec.kind) {
    case "string":
      return text;
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off|)$/i.test(text)) return false;
      throw errors.badValue(source, "must be true or false", raw);
    case "port": {
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 0 || n > 65535)
        throw errors.badValue(source, "must be an integer port from 0 to 65535", raw);
      return n;
    }
    case "workers": {
      if (text === "auto") return Math.max(1, availableParallelism());
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 1 || n > 1024)
        throw errors.badValue(source, "must be a whole number from 1 to 1024, or auto", raw);
      return n;
    }
    case "seconds":
    case "optional-seconds": {
      if (spec.kind === "optional-seconds" && text === "") return 0;
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n <= 0)
        throw errors.badValue(source, "must be a positive number of seconds", raw);
      return n;
    }
    case "seconds-or-zero": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n < 0)
        throw errors.badValue(source, "must be 0 or a positive number of seconds", raw);
      return n;
    }
    case "path":
      if (text !== "" && !text.startsWith("/")) throw errors.badValue(source, "must start with /", raw);
      return text;
    case "enum":
      if (!spec.choices?.includes(text)) throw errors.badValue(source, `must be one of ${spec.choices?.join(", ")}`, raw);
      return text;
  }
}
