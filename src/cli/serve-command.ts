/**
 * `pounce [serve] <entry>[:export] [options]`: strict argument parsing, cross-checked with citty's
 * parser. citty accepts unknown flags silently; pounce refuses them (exit 2). Help is src/cli/help.ts.
 */
import { type ArgsDef, parseArgs } from "citty";
import { OPTIONS } from "../config.ts";
import { errors } from "../errors.ts";

export function serveArgs(): ArgsDef {
  const args: ArgsDef = {
    entry: {
      type: "positional",
      required: false,
      valueHint: "entry[:export]",
      description: "The app module: default export with fetch(), a Hono app, or file:name for a named export",
    },
  };
  for (const o of OPTIONS) {
    args[o.flag] =
      o.kind === "boolean"
        ? { type: "boolean", description: o.description }
        : {
            type: "string",
            description: `${o.description}${o.choices ? ` (${o.choices.join("|")})` : ""}${o.default ? ` [default: ${o.default}]` : ""} (env POUNCE_${o.flag.toUpperCase().replaceAll("-", "_")})`,
            valueHint: o.valueHint ?? o.choices?.join("|"),
          };
  }
  return args;
}

export interface ServeInvocation {
  /** Absent when none was given: the config file may name it. */
  entry: string | undefined;
  flags: Record<string, string | boolean>;
}

/** Parse `serve` arguments strictly: every flag must be known, every value-taking flag needs a value. */
export function parseServeArgs(rawArgs: string[]): ServeInvocation {
  const known = new Map(OPTIONS.map((o) => [o.flag, o]));
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") {
      positionals.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = token.slice(token.startsWith("--") ? 2 : 1, eq < 0 ? undefined : eq);
    const negated = name.startsWith("no-") && known.get(name.slice(3))?.kind === "boolean";
    const spec = known.get(negated ? name.slice(3) : name);
    if (!spec) throw errors.unknownFlag(eq < 0 ? token : token.slice(0, eq));
    if (spec.kind === "boolean") {
      flags[spec.flag] = negated ? false : eq < 0 ? true : token.slice(eq + 1);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = token.slice(eq + 1);
    else if (i + 1 < rawArgs.length && !(rawArgs[i + 1] as string).startsWith("--")) value = rawArgs[++i];
    if (value === undefined) throw errors.badValue(`--${spec.flag}`, "needs a value", "");
    // A list option may be repeated: its values add up (comma-joined, as the env form is written).
    const before = flags[spec.flag];
    flags[spec.flag] = spec.kind === "list" && typeof before === "string" ? `${before},${value}` : value;
  }
  // Cross-check with citty's parser so both agree on what was given.
  parseArgs(rawArgs, serveArgs());
  if (positionals.length > 1) throw errors.oneEntry(positionals);
  return { entry: positionals[0], flags };
}
