/**
 * `pounce verify` arguments: its own flags (the load, the steps, the outputs) and, mixed in, any of
 * serve's options, which go to the pounce it starts. Serve's are parsed strictly by serve's own
 * parser and resolved with the config file, so verify rehearses the configuration that will ship.
 */

import { parseServeArgs } from "../cli/serve-command.ts";
import { ConfigSource } from "../config-source.ts";
import type { ControlFlag } from "../control/args.ts";
import { parseEntry, resolveEntry } from "../entry.ts";
import { errors } from "../errors.ts";
import { startDirectory } from "../release-dir.ts";
import { requestPlan } from "./request-plan.ts";
import type { ScenarioOptions } from "./scenario.ts";

export const VERIFY_FLAGS: ControlFlag[] = [
  {
    flag: "rate",
    kind: "string",
    valueHint: "n",
    default: "200",
    description: "Requests per second, open loop (sent on schedule whatever the server does)",
  },
  { flag: "path", kind: "string", valueHint: "/path", default: "/", description: "Path to GET (repeatable: taken in turn)" },
  {
    flag: "requests",
    kind: "string",
    valueHint: "file",
    description: "Send these requests in turn instead: one `METHOD /path [body]` per line",
  },
  {
    flag: "reloads",
    kind: "string",
    valueHint: "n",
    default: "3",
    description: "Reloads (SIGHUP) to perform before the bad deploy",
  },
  {
    flag: "next",
    kind: "string",
    valueHint: "entry",
    description: "Deploy this version on each reload instead of the same code again",
  },
  {
    flag: "steady",
    kind: "string",
    valueHint: "s",
    default: "2",
    description: "Seconds of load before the first step and after each one",
  },
  {
    flag: "fresh",
    kind: "string",
    valueHint: "share",
    default: "0.1",
    description: "Share of requests (0–1) sent on a fresh connection each; the rest are kept alive",
  },
  { flag: "connections", kind: "string", valueHint: "n", default: "32", description: "Most kept-alive connections at once" },
  {
    flag: "timeout",
    kind: "string",
    valueHint: "s",
    default: "10",
    description: "A request unanswered after this many seconds is lost (timeout)",
  },
  { flag: "json", kind: "boolean", description: "Print the verdict as JSON on stdout (for CI)" },
  {
    flag: "report",
    kind: "string",
    valueHint: "dir",
    description: "Write latency.svg (latency over time, reload marks) and report.md here",
  },
];

/** Serve options verify sets itself on the pounce it starts. */
export const SET_BY_VERIFY = ["port", "pid-file", "log-format", "uds", "reload"];

/** What the scenario runs, and how verify reports it. */
export interface VerifyOptions extends ScenarioOptions {
  json: boolean;
  reportDir: string | undefined;
}

function number(flag: string, value: string | undefined, fallback: number, ok: (n: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !ok(n)) throw errors.badValue(`--${flag}`, rule, value);
  return n;
}

/** Split verify's own flags from serve's; the entry and serve's flags are checked by serve's parser. */
export function splitArgs(args: string[]): { own: Record<string, string[] | true>; serve: string[] } {
  const known = new Map(VERIFY_FLAGS.map((f) => [f.flag, f]));
  const own: Record<string, string[] | true> = {};
  const serve: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    const eq = token.indexOf("=");
    const spec = token.startsWith("--") ? known.get(token.slice(2, eq < 0 ? undefined : eq)) : undefined;
    if (!spec) {
      serve.push(token);
      continue;
    }
    if (spec.kind === "boolean") {
      if (eq >= 0) throw errors.badValue(`--${spec.flag}`, "takes no value", token.slice(eq + 1));
      own[spec.flag] = true;
      continue;
    }
    const value = eq >= 0 ? token.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw errors.badValue(`--${spec.flag}`, "needs a value", "");
    const before = own[spec.flag];
    own[spec.flag] = Array.isArray(before) ? [...before, value] : [value];
  }
  return { own, serve };
}

export async function parseVerifyArgs(args: string[], env: Record<string, string | undefined>): Promise<VerifyOptions> {
  const { own, serve } = splitArgs(args);
  const one = (flag: string) => {
    const v = own[flag];
    return Array.isArray(v) ? v[v.length - 1] : undefined;
  };
  const invocation = parseServeArgs(serve);
  for (const flag of SET_BY_VERIFY)
    if (invocation.flags[flag] !== undefined)
      throw errors.badCombination(`--${flag}`, "is set by pounce verify itself: leave it out");
  const { config, cwd } = await new ConfigSource({ ...invocation, env, startDir: startDirectory(env) }).load();
  if (config.uds)
    throw errors.badCombination("--uds", "(from the environment or config file): pounce verify loads the app over TCP; unset it");
  const app = resolveEntry(parseEntry(config.entry), cwd);
  const nextSpec = one("next");
  const serveArgs: string[] = [];
  for (const [flag, value] of Object.entries(invocation.flags))
    serveArgs.push(value === true ? `--${flag}` : value === false ? `--no-${flag}` : `--${flag}=${value}`);
  const paths = Array.isArray(own.path) ? own.path : [];
  const requestsFile = one("requests");
  if (requestsFile && paths.length) throw errors.badCombination("--requests", "and --path both say what to send: give one");
  return {
    app,
    next: nextSpec ? resolveEntry(parseEntry(nextSpec), cwd) : undefined,
    serveArgs,
    cwd,
    host: config.host,
    rate: number("rate", one("rate"), 200, (n) => n > 0 && n <= 100_000, "must be a positive number of requests per second"),
    freshShare: number("fresh", one("fresh"), 0.1, (n) => n >= 0 && n <= 1, "must be a share between 0 and 1"),
    maxConnections: number(
      "connections",
      one("connections"),
      32,
      (n) => Number.isInteger(n) && n >= 1,
      "must be a positive whole number",
    ),
    timeoutMs: number("timeout", one("timeout"), 10, (n) => n > 0, "must be a positive number of seconds") * 1000,
    plan: requestPlan(paths, requestsFile),
    reloads: number("reloads", one("reloads"), 3, (n) => Number.isInteger(n) && n >= 0, "must be a whole number (0 or more)"),
    steadyMs: number("steady", one("steady"), 2, (n) => n >= 0, "must be a number of seconds (0 or more)") * 1000,
    startupTimeoutMs: config.startupTimeout * 1000,
    reloadTimeoutMs: (config.reloadTimeout + config.reloadStagger * config.workers) * 1000,
    shutdownTimeoutMs: (config.shutdownTimeout + config.shutdownDelay) * 1000,
    json: own.json === true,
    reportDir: one("report"),
  };
}
