/**
 * The `pounce` command line. The bare form `pounce app.ts` means `pounce serve app.ts`; the first
 * word is only taken as a command when it names one in COMMANDS, so the bare form keeps working
 * beside `reload`, `stop` and `status`. Each command lives in its own file, with its help.
 */
import { describe, EXIT, PounceError } from "../errors.ts";
import type { EarlySignals } from "./early-signals.ts";
import { type CommandSpec, commandHelp, mainHelp, serveFlags, styleFor } from "./help.ts";
import { reloadCommand } from "./reload-command.ts";
import { serve } from "./serve.ts";
import { statusCommand } from "./status-command.ts";
import { stopCommand } from "./stop-command.ts";
import { verifyCommand } from "./verify-command.ts";
import { version } from "./version.ts";
import { wrapCommand } from "./wrap-command.ts";

export { version } from "./version.ts";

const serveCommand: CommandSpec = {
  name: "serve",
  summary: "Serve an app with zero-downtime reloads and graceful shutdown",
  usage: "pounce [serve] <entry>[:export] [options]",
  flags: serveFlags(),
  examples: [
    "pounce app.ts --workers 4 --port 8080 --pid-file /run/app/pounce.pid",
    "pounce reload --pid-file /run/app/pounce.pid    # deploy: returns once the new code serves",
  ],
  run: serve,
};

const COMMANDS: Record<string, CommandSpec> = {
  serve: serveCommand,
  reload: reloadCommand,
  stop: stopCommand,
  status: statusCommand,
  wrap: wrapCommand,
  verify: verifyCommand,
};

/** `early`: the signals bin/pounce.mjs caught before pounce was loaded (see early-signals.ts). */
export async function main(argv: string[], early?: EarlySignals): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  try {
    const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : undefined;
    const command = COMMANDS[named ?? "serve"] as CommandSpec;
    const args = named ? argv.slice(1) : argv;
    // After `--` the arguments are the wrapped command's own.
    const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
    if (own.includes("--help") || own.includes("-h")) {
      early?.take();
      const style = styleFor(process.stdout, process.env);
      out(command.name === "serve" ? mainHelp(Object.values(COMMANDS), style) : commandHelp(command, style));
      return;
    }
    if (own.includes("--version") || own.includes("-v")) {
      out(`pounce ${version()}\n`);
      early?.take();
      return;
    }
    if (command.name !== "serve") {
      // Only serve hands caught signals to a supervisor; elsewhere Ctrl-C must act at once.
      early?.take();
      await command.run(args);
      return;
    }
    await command.run(args, early);
  } catch (err) {
    if (err instanceof PounceError) {
      process.stderr.write(`pounce: error: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`pounce: internal error: ${describe(err)}\n${err instanceof Error ? err.stack : ""}\n`);
    process.exit(EXIT.failure);
  }
}
