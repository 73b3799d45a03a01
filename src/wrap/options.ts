/**
 * `pounce wrap`'s options: one table (flag, env POUNCE_<NAME>, default), the rows it shares with
 * `serve` taken from config.ts's table so both read the same, and the strict parse of
 * `pounce wrap [options] -- command args…`.
 */
import { isAbsolute, resolve } from "node:path";
import { envName, type LogFormat, type LogLevel, OPTIONS, type OptionSpec, parseValue } from "../config.ts";
import { errors } from "../errors.ts";
import type { BindableTarget } from "../listen-target.ts";

export type ReadySignal =
  | { kind: "notify" }
  | { kind: "file"; path: string }
  | { kind: "socket"; path: string }
  /** No signal named: ready after `seconds`, or at a READY=1 that comes first. */
  | { kind: "warmup"; seconds: number };

export interface WrapConfig {
  command: string[];
  /** The directory every copy starts in, as named (symlinks and all): resolved again for each copy. */
  chdir: string;
  listen?: BindableTarget;
  ready: ReadySignal;
  startupTimeout: number;
  reloadTimeout: number;
  shutdownTimeout: number;
  restart: boolean;
  pidFile: string;
  logFormat: LogFormat;
  logLevel: LogLevel;
}

export interface WrapOption extends Pick<OptionSpec, "flag" | "kind" | "choices" | "default" | "valueHint" | "description"> {}

const shared = (flag: string, description?: string): WrapOption => {
  const o = OPTIONS.find((x) => x.flag === flag) as OptionSpec;
  return { ...o, description: description ?? o.description };
};

export const WRAP_OPTIONS: readonly WrapOption[] = [
  {
    flag: "listen",
    kind: "string",
    default: "",
    valueHint: "host:port|unix:path",
    description:
      "Open this address once and hand it to every copy as fd 3 (LISTEN_FDS=1, LISTEN_PID); without it the copies must share their address themselves (a unix socket renamed over the old one, or SO_REUSEPORT)",
  },
  {
    flag: "ready",
    kind: "string",
    default: "",
    valueHint: "notify",
    description: "A new copy is ready when it sends READY=1 to the NOTIFY_SOCKET it is given",
  },
  {
    flag: "ready-file",
    kind: "string",
    default: "",
    valueHint: "path",
    description: "A new copy is ready when it creates or touches this file",
  },
  {
    flag: "ready-socket",
    kind: "string",
    default: "",
    valueHint: "path",
    description: "A new copy is ready when a new unix socket at this path accepts a connection",
  },
  {
    flag: "warmup",
    kind: "seconds",
    default: "1",
    valueHint: "s",
    description: "Without a ready signal: a new copy is ready after this many seconds (or at its READY=1)",
  },
  {
    flag: "chdir",
    kind: "string",
    default: "",
    valueHint: "dir",
    description:
      "Start every copy in this directory, resolved through its symlinks again for each copy (default: the current directory as $PWD names it)",
  },
  shared("startup-timeout", "Seconds a new copy has to become ready"),
  shared("reload-timeout", "Seconds an old copy has to exit after SIGTERM on reload before it is killed"),
  shared("shutdown-timeout", "Seconds the copy has to exit after SIGTERM on shutdown before it is killed"),
  {
    flag: "restart",
    kind: "boolean",
    default: "true",
    description: "Restart the copy (with back-off) when it dies; --no-restart: exit with its status instead",
  },
  shared("pid-file", "Write the wrapper's PID here once the first copy is ready"),
  shared("log-format", "text: the copies' output passes through as it is; json: one record per line for it too"),
  shared("log-level"),
];

/** Parse `[options] -- command args…` strictly; flag > POUNCE_<NAME> env > default. */
export function parseWrapArgs(args: string[], env: Record<string, string | undefined>, cwd: string): WrapConfig {
  const dash = args.indexOf("--");
  const own = dash < 0 ? args : args.slice(0, dash);
  const command = dash < 0 ? [] : args.slice(dash + 1);
  const known = new Map(WRAP_OPTIONS.map((o) => [o.flag, o]));
  const flags = new Map<string, string | boolean>();
  for (let i = 0; i < own.length; i++) {
    const token = own[i] as string;
    if (!token.startsWith("-") || token === "-")
      throw errors.wrapUsage(`unexpected ${JSON.stringify(token)}: put the command after --`);
    const eq = token.indexOf("=");
    const name = token.slice(token.startsWith("--") ? 2 : 1, eq < 0 ? undefined : eq);
    const negated = name.startsWith("no-") && known.get(name.slice(3))?.kind === "boolean";
    const spec = known.get(negated ? name.slice(3) : name);
    if (!spec) throw errors.unknownFlag(eq < 0 ? token : token.slice(0, eq));
    if (spec.kind === "boolean") {
      flags.set(spec.flag, negated ? false : eq < 0 ? true : token.slice(eq + 1));
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = token.slice(eq + 1);
    else if (i + 1 < own.length && !(own[i + 1] as string).startsWith("--")) value = own[++i];
    if (value === undefined) throw errors.badValue(`--${spec.flag}`, "needs a value", "");
    flags.set(spec.flag, value);
  }
  if (command.length === 0 || command[0] === "")
    throw errors.wrapUsage("missing command: pounce wrap [options] -- command args…");
  const given = new Set<string>();
  const value = (flag: string): unknown => {
    const spec = known.get(flag) as WrapOption;
    let raw = flags.get(flag);
    let source = `--${flag}`;
    if (raw === undefined && env[envName(spec)]) {
      raw = env[envName(spec)] as string;
      source = envName(spec);
    }
    if (raw !== undefined) given.add(flag);
    return parseValue(spec, raw ?? spec.default, source);
  };
  const listen = value("listen") as string;
  const chdir = value("chdir") as string;
  const readyWord = value("ready") as string;
  const readyFile = value("ready-file") as string;
  const readySocket = value("ready-socket") as string;
  const warmup = value("warmup") as number;
  if (readyWord !== "" && readyWord !== "notify") throw errors.badValue("--ready", "must be notify", readyWord);
  const named = [
    readyWord && "--ready",
    readyFile && "--ready-file",
    readySocket && "--ready-socket",
    given.has("warmup") && "--warmup",
  ].filter(Boolean);
  if (named.length > 1) throw errors.wrapUsage(`${named.join(" and ")} name two ready signals: choose one`);
  const ready: ReadySignal = readyWord
    ? { kind: "notify" }
    : readyFile
      ? { kind: "file", path: resolve(cwd, readyFile) }
      : readySocket
        ? { kind: "socket", path: resolve(cwd, readySocket) }
        : { kind: "warmup", seconds: warmup };
  return {
    command,
    chdir: chdir === "" ? cwd : resolve(cwd, chdir),
    listen: listen === "" ? undefined : parseListen(listen, cwd),
    ready,
    startupTimeout: value("startup-timeout") as number,
    reloadTimeout: value("reload-timeout") as number,
    shutdownTimeout: value("shutdown-timeout") as number,
    restart: value("restart") as boolean,
    pidFile: value("pid-file") as string,
    logFormat: value("log-format") as LogFormat,
    logLevel: value("log-level") as LogLevel,
  };
}

/** `HOST:PORT`, `[v6]:PORT`, `:PORT` (127.0.0.1) or `unix:PATH`. */
export function parseListen(text: string, cwd: string): BindableTarget {
  const bad = () => errors.badValue("--listen", "must be HOST:PORT, [IPv6]:PORT or unix:PATH", text);
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (path === "") throw bad();
    return { kind: "unix", path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text);
  if (!m) throw bad();
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) throw bad();
  return { kind: "tcp", host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

/** The POUNCE_<NAME> variables of wrap's own options: not passed on to the copies. */
export function ownEnvNames(): string[] {
  return WRAP_OPTIONS.map(envName);
}
