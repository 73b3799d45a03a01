/**
 * The `pounce` command line. The bare form `pounce app.ts` means `pounce serve app.ts`; the first
 * word is only taken as a command when it names one in COMMANDS, which leaves room for `reload`,
 * `stop`, `status` and `wrap` without breaking the bare form. Each command lives in its own file.
 */
import { renderUsage } from "citty";
import { describe, EXIT, PounceError } from "../errors.ts";
import type { EarlySignals } from "./early-signals.ts";
import { serve } from "./serve.ts";
import { serveCommand } from "./serve-command.ts";
import { version } from "./version.ts";
import { wrap, wrapCommand } from "./wrap-command.ts";

export { version } from "./version.ts";

type Command = (args: string[], early?: EarlySignals) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  serve,
  wrap,
};

/** What --help shows for a command (the bare form shows serve's). */
const USAGE: Record<string, Parameters<typeof renderUsage>[0]> = { wrap: wrapCommand };

/** `early`: the signals bin/pounce.mjs caught before pounce was loaded (see early-signals.ts). */
export async function main(argv: string[], early?: EarlySignals): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  try {
    const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : undefined;
    const command = COMMANDS[named ?? "serve"] as Command;
    const args = named ? argv.slice(1) : argv;
    // After `--` the arguments are the wrapped command's own.
    const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
    if (own.includes("--help") || own.includes("-h")) {
      out(`${await renderUsage(USAGE[named ?? "serve"] ?? serveCommand)}\n`);
      early?.take();
      return;
    }
    if (own.includes("--version") || own.includes("-v")) {
      out(`pounce ${version()}\n`);
      early?.take();
      return;
    }
    await command(args, early);
  } catch (err) {
    if (err instanceof PounceError) {
      process.stderr.write(`pounce: error: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`pounce: internal error: ${describe(err)}\n${err instanceof Error ? err.stack : ""}\n`);
    process.exit(EXIT.failure);
  }
}
