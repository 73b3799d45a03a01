/**
 * The `deno run` flags a worker process gets. A worker runs the operator's app, so it gets the
 * operator's own flags (permissions, --config, --import-map, --node-modules-dir, other --unstable-*
 * …), read back from /proc/self/cmdline, plus `--unstable-net` (Deno.serve's `reusePort` needs it;
 * the operator never has to know) and `--no-prompt` (a worker has nobody to ask). Flags that make no
 * sense once per worker (--watch, the inspector's port, --env-file already applied) are dropped.
 * Where /proc is unreadable (not Linux, or no --allow-read), the worker gets the permissions the
 * supervisor holds in full, as `--allow-<name>` flags.
 */
import { Deno, type DenoPermissionName } from "./deno-api.ts";

/** Deno flags that take their value as the next argument. */
const TAKES_VALUE = new Set([
  "-c",
  "-L",
  "--log-level",
  "--config",
  "--import-map",
  "--location",
  "--cert",
  "--seed",
  "--ext",
  "--preload",
  "--import",
  "--v8-flags",
  "--unsafely-ignore-certificate-errors-value",
]);
const DROP = /^--(watch|watch-hmr|watch-exclude|hmr|inspect|inspect-brk|inspect-wait|no-clear-screen|env-file|env)(=|$)/;
const PERMISSIONS: DenoPermissionName[] = ["read", "write", "net", "env", "run", "sys", "ffi", "import"];

export interface WorkerFlags {
  flags: string[];
  /** Where the flags came from, for the debug log. */
  source: "cmdline" | "permissions";
}

export function workerFlags(): WorkerFlags {
  const fromCmdline = operatorFlags();
  const flags = fromCmdline ?? grantedPermissionFlags();
  if (!flags.includes("--unstable-net")) flags.push("--unstable-net");
  if (!flags.includes("--no-prompt")) flags.push("--no-prompt");
  return { flags, source: fromCmdline ? "cmdline" : "permissions" };
}

/** The flags between `deno run` and the script in this process's own command line, or undefined. */
export function operatorFlags(cmdline = readCmdline()): string[] | undefined {
  if (!cmdline || cmdline.length < 2) return undefined;
  let i = 1;
  if (cmdline[i] === "run") i++;
  else if (!cmdline[i]?.startsWith("-")) return []; // `deno script.ts` (no subcommand, no flags)
  const out: string[] = [];
  for (; i < cmdline.length; i++) {
    const arg = cmdline[i] as string;
    if (arg === "--") break;
    if (!arg.startsWith("-")) break; // the script
    if (TAKES_VALUE.has(arg)) {
      const value = cmdline[++i];
      if (value === undefined) break;
      out.push(arg, value);
      continue;
    }
    if (DROP.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

function readCmdline(): string[] | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const raw = Deno.readTextFileSync("/proc/self/cmdline");
    return raw.split("\0").filter((s, i, a) => i < a.length - 1 || s !== "");
  } catch {
    return undefined;
  }
}

function grantedPermissionFlags(): string[] {
  const out: string[] = [];
  for (const name of PERMISSIONS) {
    try {
      if (Deno.permissions.querySync({ name }).state === "granted") out.push(`--allow-${name}`);
    } catch {
      // a permission this Deno does not know
    }
  }
  return out;
}
