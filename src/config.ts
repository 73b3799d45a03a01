/**
 * The server's configuration: the option table (options.ts: flag, env, default, rule), resolved as
 * flag > POUNCE_<NAME> env > legacy env (HOST, PORT, SHUTDOWN_TIMEOUT) > config file > default, and
 * validated before anything starts (and again, for the file, on every reload).
 */
import { errors } from "./errors.ts";
import { fromFile, parseValue } from "./option-values.ts";
import { envName, NOT_IN_FILE, OPTIONS } from "./options.ts";
import type { TlsMaterial } from "./tls/material.ts";

export { parseValue } from "./option-values.ts";
export { envName, type Kind, NOT_IN_FILE, OPTIONS, type OptionSpec } from "./options.ts";

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type ReloadStrategy = "auto" | "overlap" | "restart";

export interface Config {
  entry: string;
  host: string;
  port: number;
  /** Unix socket path (absolute once resolved); empty when serving TCP. */
  uds: string;
  /** Permission bits of the unix socket file. */
  udsMode: number;
  workers: number;
  reloadTimeout: number;
  /** Seconds between draining one old worker and the next on a reload (0: all at once). */
  reloadStagger: number;
  /** Workers replaced at a time on an overlap reload (0: the whole generation at once). */
  reloadBatch: number;
  /** Pre-started workers kept beside the serving generation for the next reload (supervisor/warm.ts). */
  warmWorkers: number;
  shutdownTimeout: number;
  /** Seconds to keep serving with health 503 after a stop signal, before draining (0: none). */
  shutdownDelay: number;
  startupTimeout: number;
  /** Seconds, or 0 when off. */
  requestTimeout: number;
  /** Seconds a client has to send a complete request head (hostile-client limit, src/worker/limits.ts). */
  headerTimeout: number;
  /** Seconds a kept-alive connection may sit idle between requests. */
  keepAliveTimeout: number;
  /** Bytes a request body may have (Content-Length, or a chunked body as it arrives). */
  maxBodySize: number;
  /** Bytes a request head may have (request line and headers). */
  maxHeaderSize: number;
  /** Empty when off. */
  healthCheckPath: string;
  /** The app's own readiness path, asked in-process before a worker reports ready; empty when off. */
  readyPath: string;
  /** Prometheus metrics at this path, before the app; empty when off. */
  metricsPath: string;
  /** Seconds without a heartbeat before a serving worker is killed and replaced (0: off). */
  workerTimeout: number;
  /** Recycle a worker after this many requests (0: off), plus up to maxRequestsJitter more. */
  maxRequests: number;
  maxRequestsJitter: number;
  /** Recycle a worker whose resident memory passes this many MiB (0: off). */
  maxWorkerMemory: number;
  pidFile: string;
  logFormat: LogFormat;
  logLevel: LogLevel;
  accessLog: boolean;
  reloadStrategy: ReloadStrategy;
  /** Dev mode: reload when a watched file changes (src/watch/). */
  reload: boolean;
  /** Extensions watched besides the default ones, each with its dot: [".html", ".css"]. */
  reloadInclude: string[];
  /** Directories watched besides the entry's (as given: relative to the working directory). */
  reloadDir: string[];
  /** TLS certificate chain and key files (empty: plain HTTP); read again on every reload. */
  tlsCert: string;
  tlsKey: string;
  tlsKeyPassphrase: string;
  tlsCa: string;
  /** What --tls-cert/--tls-key held when last read and checked (src/tls/read.ts); not an option. */
  tls?: TlsMaterial;
  /** Run the workers (the app) as this user / group (empty: as pounce itself); see privileges.ts. */
  user: string;
  group: string;
  /** The config file given with --config / POUNCE_CONFIG (empty: look for pounce.config.* instead). */
  config: string;
}

/** What a config file gave: its path (for messages) and its fields, already checked by name. */
export interface FileValues {
  file: string;
  values: Record<string, unknown>;
}

/**
 * Resolve raw flag values (already known to be valid flag names) against env, the config file's
 * values and the defaults. `entry`: the positional one, else the file's `entry`.
 */
export function resolveConfig(
  entry: string | undefined,
  flags: Partial<Record<string, string | boolean>>,
  env: Record<string, string | undefined>,
  file?: FileValues,
): Config {
  const fileEntry = file?.values.entry;
  if (entry === undefined && fileEntry !== undefined) {
    if (typeof fileEntry !== "string" || fileEntry.trim() === "")
      throw errors.badValue(`${file?.file}: entry`, "must be a non-empty string (the app module, file[:export])", fileEntry);
    entry = fileEntry.trim();
  }
  if (entry === undefined) throw errors.missingEntry();
  const out: Record<string, unknown> = { entry };
  for (const spec of OPTIONS) {
    let raw: string | boolean | undefined = flags[spec.flag];
    let source = `--${spec.flag}`;
    let shown: unknown;
    if (raw === undefined) {
      for (const name of [envName(spec), ...(spec.legacyEnv ?? [])]) {
        if (env[name] !== undefined && env[name] !== "") {
          raw = env[name];
          source = name;
          break;
        }
      }
    }
    if (raw === undefined && file && Object.hasOwn(file.values, spec.key) && !NOT_IN_FILE.has(spec.key)) {
      source = `${file.file}: ${spec.key}`;
      shown = file.values[spec.key];
      raw = fromFile(spec, shown, source);
    }
    if (raw === undefined) {
      raw = spec.default;
      source = `--${spec.flag}`;
    }
    out[spec.key] = parseValue(spec, raw, source, shown ?? raw);
  }
  const config = out as unknown as Config;
  checkCombinations(config);
  return config;
}

/** Options that are valid alone but not together. */
function checkCombinations(c: Config): void {
  if (c.tlsCert !== "" && c.tlsKey === "")
    throw errors.badCombination("--tls-cert", "needs --tls-key (the certificate's private key): give both, or neither");
  if (c.tlsKey !== "" && c.tlsCert === "")
    throw errors.badCombination("--tls-key", "needs --tls-cert (the certificate it belongs to): give both, or neither");
  for (const [given, flag] of [
    [c.tlsKeyPassphrase, "--tls-key-passphrase"],
    [c.tlsCa, "--tls-ca"],
  ] as const)
    if (given !== "" && c.tlsCert === "")
      throw errors.badCombination(flag, "only applies with --tls-cert and --tls-key: give those too, or drop it");
  if (c.maxRequestsJitter > 0 && c.maxRequests === 0)
    throw errors.badCombination("--max-requests-jitter", "only spreads --max-requests: give --max-requests too, or drop it");
  if (c.reloadBatch > 0 && c.reloadStrategy === "restart")
    throw errors.badCombination(
      "--reload-batch",
      "needs overlapping reloads, and --reload-strategy restart stops every old worker before starting the new ones: drop one of the two",
    );
}
