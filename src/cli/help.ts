/**
 * `pounce --help` and `pounce <command> --help`, rendered from the tables that define them: serve's
 * options from OPTIONS in src/config.ts (so an option added there shows up here with its env name
 * and default), each command's flags from its CommandSpec. Fits 100 columns; colour only when
 * stdout is a terminal (and NO_COLOR is unset).
 */
import { envName, OPTIONS, type OptionSpec } from "../config.ts";
import type { ControlFlag } from "../control/args.ts";
import type { EarlySignals } from "./early-signals.ts";

export interface CommandSpec {
  name: string;
  /** One line, for the command list. */
  summary: string;
  usage: string;
  flags: ControlFlag[];
  /** Lines after the flags (exit codes, what the command waits for). */
  details?: string[];
  examples: string[];
  run(args: string[], early?: EarlySignals): Promise<void>;
}

const WIDTH = 100;
const FLAG_COLUMN = 30;

/** What the supervisor does on each signal (README, "Signals"). */
const SIGNALS: Array<[string, string]> = [
  ["SIGHUP, SIGUSR1", "rolling reload: new workers start beside the old ones, which drain once they are ready"],
  ["SIGTERM, SIGINT", "graceful shutdown: in-flight requests finish; a second one stops at once (exit 1)"],
  ["SIGTTIN, SIGTTOU", "add one worker / remove one (drained, never below 1)"],
];

/** Switches with no flag (they act before the flags are read). */
const ENVIRONMENT: Array<[string, string]> = [
  ["POUNCE_PRESPAWN=0", "start the first worker only after the configuration is read (README: Start-up)"],
  ["POUNCE_TRACE_STARTUP=1", "print `pounce-trace <step> <ms>` lines on stderr: where start-up time goes"],
];

export interface Style {
  heading(s: string): string;
  flag(s: string): string;
}

const plain: Style = { heading: (s) => s, flag: (s) => s };
const ansi: Style = { heading: (s) => `\x1b[1m${s}\x1b[22m`, flag: (s) => `\x1b[36m${s}\x1b[39m` };

/** Colour only for a terminal that wants it. */
export function styleFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Style {
  return stream.isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb" ? ansi : plain;
}

/** Serve's options as help rows, from the option table. */
export function serveFlags(): ControlFlag[] {
  return OPTIONS.map((o: OptionSpec) => ({
    flag: o.flag,
    kind: o.kind === "boolean" ? "boolean" : "string",
    valueHint: o.valueHint ?? o.choices?.join("|"),
    description: o.description,
    env: [envName(o), ...(o.legacyEnv ?? [])].join(", "),
    default: o.default === "" ? "off" : o.default,
  }));
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.length ? out : [""];
}

/** Two columns: a left cell (styled) and text wrapped to the rest of the width. */
function rows(items: Array<[string, string]>, style: (s: string) => string, column = FLAG_COLUMN): string[] {
  const out: string[] = [];
  for (const [left, text] of items) {
    const cell = `  ${left}`;
    const body = wrap(text, WIDTH - column);
    if (cell.length + 2 > column) {
      out.push(`  ${style(left)}`);
      for (const l of body) out.push(`${" ".repeat(column)}${l}`);
    } else {
      out.push(`  ${style(left)}${" ".repeat(column - cell.length)}${body[0]}`);
      for (const l of body.slice(1)) out.push(`${" ".repeat(column)}${l}`);
    }
  }
  return out;
}

/** Each flag, its description, then (on a line of its own) its env name and default. */
function flagRows(flags: ControlFlag[], style: (s: string) => string): string[] {
  const out: string[] = [];
  for (const f of flags) {
    const left = `--${f.flag}${f.kind === "string" && f.valueHint ? ` <${f.valueHint}>` : ""}`;
    out.push(...rows([[left, f.description]], style));
    const extra = [f.env ? `env ${f.env}` : "", f.default !== undefined ? `default ${f.default}` : ""].filter(Boolean);
    if (extra.length)
      out.push(...wrap(`(${extra.join("; ")})`, WIDTH - FLAG_COLUMN).map((l) => `${" ".repeat(FLAG_COLUMN)}${l}`));
  }
  return out;
}

/** `pounce --help` (= `pounce serve --help`). */
export function mainHelp(commands: CommandSpec[], style: Style = plain): string {
  const serve = commands.find((c) => c.name === "serve");
  const others = commands.filter((c) => c.name !== "serve");
  const out = [
    `${style.heading("Usage:")} pounce [serve] <entry>[:export] [options]`,
    `       pounce <command> [options]`,
    "",
    ...wrap(
      "Serve a Web-standard fetch handler on Node, Bun or Deno: workers in generations, zero-downtime reloads, graceful shutdown. The entry is a module whose default export (or the named export after the colon) has fetch(request), or a Hono app.",
      WIDTH,
    ),
    "",
    style.heading("Commands:"),
    ...rows(
      [
        ["serve", "Serve an app (the default: `pounce app.ts` is `pounce serve app.ts`)"],
        ...others.map((c): [string, string] => [c.name, c.summary]),
      ],
      style.flag,
      14,
    ),
    ...wrap("Run `pounce <command> --help` for a command's own options.", WIDTH).map((l) => `  ${l}`),
    "",
    style.heading("Options:"),
    ...flagRows(serveFlags(), style.flag),
    ...rows(
      [
        ["-h, --help", "Show this help (or a command's: pounce reload --help)"],
        ["-v, --version", "Show pounce's version"],
      ],
      style.flag,
    ),
    "",
    style.heading("Signals (to the supervisor, whose PID is in --pid-file):"),
    ...rows(SIGNALS, style.flag, 20),
    "",
    style.heading("Environment (no flag):"),
    ...rows(ENVIRONMENT, style.flag, 26),
    "",
    style.heading("Examples:"),
    ...(serve?.examples ?? []).map((e) => `  ${e}`),
    "",
  ];
  return out.join("\n");
}

/** `pounce <command> --help`. */
export function commandHelp(cmd: CommandSpec, style: Style = plain): string {
  const out = [
    `${style.heading("Usage:")} ${cmd.usage}`,
    "",
    ...wrap(`${cmd.summary}.`, WIDTH),
    "",
    style.heading("Options:"),
    ...flagRows(cmd.flags, style.flag),
    ...rows([["-h, --help", "Show this help"]], style.flag),
  ];
  if (cmd.details?.length) out.push("", ...cmd.details);
  out.push("", style.heading("Examples:"), ...cmd.examples.map((e) => `  ${e}`), "");
  return out.join("\n");
}
