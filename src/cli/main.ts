/**
 * The `pounce` command line. The bare form `pounce app.ts` means `pounce serve app.ts`; the first
 * word is only taken as a command when it names one, which leaves room for `reload`, `stop`,
 * `status` and `wrap` without breaking the bare form.
 */
import { readFileSync } from "node:fs";
import { renderUsage } from "citty";
import { runtime as detectedRuntime } from "std-env";
import type { RuntimeAdapter } from "../adapter.ts";
import { resolveConfig } from "../config.ts";
import { parseEntry, resolveEntry } from "../entry.ts";
import { describe, EXIT, PounceError } from "../errors.ts";
import { Logger, lineSink } from "../log.ts";
import { addressInUse } from "../supervisor/address-in-use.ts";
import { pickFreePort } from "../supervisor/free-port.ts";
import { logObserver } from "../supervisor/log-lines.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { type EarlySignals, handOverEarlySignals } from "./early-signals.ts";
import { parseServeArgs, serveCommand } from "./serve-command.ts";

const COMMANDS = new Set(["serve"]);

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function loadAdapter(): Promise<RuntimeAdapter> {
  switch (detectedRuntime) {
    case "node":
      return (await import("../../runtimes/node/index.ts")).createAdapter();
    case "deno":
      return (await import("../../runtimes/deno/index.ts")).createAdapter();
    case "bun":
      return (await import("../../runtimes/bun/index.ts")).createAdapter();
    default:
      throw new PounceError("E_BAD_VALUE", `pounce does not run on ${detectedRuntime || "this runtime"} yet`);
  }
}

/** `early`: the signals bin/pounce.mjs caught before pounce was loaded (see early-signals.ts). */
export async function main(argv: string[], early?: EarlySignals): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  try {
    let args = argv;
    if (args[0] && COMMANDS.has(args[0])) args = args.slice(1);
    if (args.includes("--help") || args.includes("-h")) {
      out(`${await renderUsage(serveCommand)}\n`);
      early?.take();
      return;
    }
    if (args.includes("--version") || args.includes("-v")) {
      out(`pounce ${version()}\n`);
      early?.take();
      return;
    }
    const invocation = parseServeArgs(args);
    const config = resolveConfig(invocation.entry, invocation.flags, process.env);
    const cwd = process.cwd();
    const entry = resolveEntry(parseEntry(config.entry), cwd);
    const log = new Logger({ level: config.logLevel, emit: lineSink(config.logFormat, (l) => process.stderr.write(l)) });
    const adapter = await loadAdapter();
    await adapter.prepare?.(config, {
      info: (msg) => log.info(msg, { event: "runtime_note" }),
      warn: (msg) => log.warn(msg, { event: "runtime_warning" }),
    });
    const port = config.port === 0 ? await pickFreePort(config.host) : config.port;
    log.info(
      `Starting pounce ${version()} (${adapter.runtime}): ${config.entry}, ${config.workers} worker(s), pid ${process.pid}`,
      { event: "starting" },
    );
    // Once, before any worker: with SO_REUSEPORT (Bun, Deno) a second pounce would otherwise join a
    // listener already there and silently take part of its traffic. Later generations never probe.
    const inUse = config.port === 0 ? undefined : await addressInUse(config.host, port);
    if (inUse) {
      logObserver(log)({ event: "boot_failed", generation: 0, cause: inUse.message });
      adapter.exit(inUse.exitCode);
    }
    new Supervisor({ config, adapter, log, entry, port, cwd, pid: process.pid }).start();
    handOverEarlySignals(early);
  } catch (err) {
    if (err instanceof PounceError) {
      process.stderr.write(`pounce: error: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`pounce: internal error: ${describe(err)}\n${err instanceof Error ? err.stack : ""}\n`);
    process.exit(EXIT.failure);
  }
}
