/**
 * The `pounce` command line. The bare form `pounce app.ts` means `pounce serve app.ts`; the first
 * word is only taken as a command when it names one in COMMANDS, so the bare form keeps working
 * beside `reload`, `stop` and `status`. Each command lives in its own file, with its help.
 */
import { describe, EXIT, PounceError } from "../errors.ts";
import type { EarlySignals } from "./early-signals.ts";
import { type CommandSpec, commandHelp, mainHelp, serveFlags, styleFor } from "./help.ts";
import { version } from "./version.ts";

export { version } from "./version.ts";

const serveCommand = (): CommandSpec => ({
  name: "serve",
  summary: "Serve an app with zero-downtime reloads and graceful shutdown",
  usage: "pounce [serve] <entry>[:export] [options]",
  flags: serveFlags(),
  examples: [
    "pounce app.ts --workers 4 --port 8080 --pid-file /run/app/pounce.pid",
    "pounce reload --pid-file /run/app/pounce.pid    # deploy: returns once the new code serves",
  ],
  // A worker starts first, while the rest of pounce and the configuration load (prespawn.ts).
  run: async (args, early) => {
    const start = await (await import("./prespawn.ts")).startServe(args);
    return (await import("./serve.ts")).serve(args, early, start);
  },
});

/** Each command's module is imported only when it runs (or for --help): the supervisor's start-up
 *  and memory carry none of the others (bench/FINDINGS.md, "Start-up"). */
const COMMANDS: Record<string, () => Promise<CommandSpec>> = {
  serve: async () => serveCommand(),
  reload: async () => (await import("./reload-command.ts")).reloadCommand,
  stop: async () => (await import("./stop-command.ts")).stopCommand,
  status: async () => (await import("./status-command.ts")).statusCommand,
  wrap: async () => (await import("./wrap-command.ts")).wrapCommand,
  verify: async () => (await import("./verify-command.ts")).verifyCommand,
};

/** `early`: the signals bin/pounce.mjs caught before pounce was loaded (see early-signals.ts). */
export async function main(argv: string[], early?: EarlySignals): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  try {
    const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : undefined;
    const command = await (COMMANDS[named ?? "serve"] as () => Promise<CommandSpec>)();
    const args = named ? argv.slice(1) : argv;
    // After `--` the arguments are the wrapped command's own.
    const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
    if (own.includes("--help") || own.includes("-h")) {
      early?.take();
      const style = styleFor(process.stdout, process.env);
      out(
        command.name === "serve"
          ? mainHelp(await Promise.all(Object.values(COMMANDS).map((load) => load())), style)
          : commandHelp(command, style),
      );
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
