/**
 * Flags of the control commands (reload, stop, status), parsed strictly like serve's: an unknown
 * flag or a missing value is a usage error (exit 2). The server is named by --pid-file (or env
 * POUNCE_PID_FILE, as `pounce serve` reads it) or --pid.
 */
import { errors } from "../errors.ts";
import type { TargetSpec } from "./target.ts";

export interface ControlFlag {
  flag: string;
  kind: "string" | "boolean";
  valueHint?: string;
  description: string;
  /** Shown in help. */
  default?: string;
  env?: string;
}

export const TARGET_FLAGS: ControlFlag[] = [
  {
    flag: "pid-file",
    kind: "string",
    valueHint: "file",
    env: "POUNCE_PID_FILE",
    description: "The pid file the server was started with (its state file sits beside it)",
  },
  { flag: "pid", kind: "string", valueHint: "n", description: "The supervisor's PID, instead of --pid-file" },
];

export const TIMEOUT_FLAG: ControlFlag = {
  flag: "timeout",
  kind: "string",
  valueHint: "s",
  default: "60",
  description: "Give up waiting after this many seconds (exit 1)",
};

export interface ParsedControl {
  target: TargetSpec;
  flags: Record<string, string | boolean>;
  timeoutMs: number;
}

export function parseControlArgs(
  command: string,
  raw: string[],
  specs: ControlFlag[],
  env: Record<string, string | undefined>,
): ParsedControl {
  const known = new Map(specs.map((s) => [s.flag, s]));
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i] as string;
    if (!token.startsWith("--")) throw errors.unexpectedArgument(command, token);
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const spec = known.get(name);
    if (!spec) throw errors.unknownFlag(eq < 0 ? token : token.slice(0, eq));
    if (spec.kind === "boolean") {
      if (eq >= 0) throw errors.badValue(`--${name}`, "takes no value", token.slice(eq + 1));
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? token.slice(eq + 1) : raw[++i];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--")))
      throw errors.badValue(`--${name}`, "needs a value", value ?? "");
    flags[name] = value;
  }
  const target: TargetSpec = {};
  if (typeof flags.pid === "string") {
    const pid = Number(flags.pid);
    if (!Number.isSafeInteger(pid) || pid <= 0)
      throw errors.badValue("--pid", "must be a process id (a positive integer)", flags.pid);
    if (flags["pid-file"] !== undefined)
      throw errors.badValue("--pid", "and --pid-file name the server twice: give one", flags.pid);
    target.pid = pid;
  } else {
    const file = typeof flags["pid-file"] === "string" ? flags["pid-file"] : env.POUNCE_PID_FILE || undefined;
    if (!file) throw errors.noTarget(command);
    target.pidFile = file;
  }
  let timeoutMs = 60_000;
  if (typeof flags.timeout === "string") {
    const s = Number(flags.timeout);
    if (!Number.isFinite(s) || s <= 0) throw errors.badValue("--timeout", "must be a positive number of seconds", flags.timeout);
    timeoutMs = s * 1000;
  }
  return { target, flags, timeoutMs };
}
