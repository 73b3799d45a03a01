/**
 * `pounce [serve] <entry>`: resolve the configuration, pick the adapter, refuse an address already
 * in use, start the supervisor and hand it the signals caught before pounce was loaded.
 */
import { runtime as detectedRuntime } from "std-env";
import type { RuntimeAdapter } from "../adapter.ts";
import { resolveConfig } from "../config.ts";
import { parseEntry, resolveEntry } from "../entry.ts";
import { PounceError } from "../errors.ts";
import type { ListenTarget } from "../listen-target.ts";
import { Logger, lineSink } from "../log.ts";
import { addressInUse } from "../supervisor/address-in-use.ts";
import { pickFreePort } from "../supervisor/free-port.ts";
import { logObserver } from "../supervisor/log-lines.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { UnixSocket, unixSocketInUse, unixTarget } from "../supervisor/unix-socket.ts";
import { type EarlySignals, handOverEarlySignals } from "./early-signals.ts";
import { parseServeArgs } from "./serve-command.ts";
import { version } from "./version.ts";

export async function loadAdapter(): Promise<RuntimeAdapter> {
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

export async function serve(args: string[], early?: EarlySignals): Promise<void> {
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
  const unix = config.uds ? unixTarget(config, cwd, adapter) : undefined;
  const port = unix || config.port !== 0 ? config.port : await pickFreePort(config.host);
  log.info(
    `Starting pounce ${version()} (${adapter.runtime}): ${config.entry}, ${config.workers} worker(s), pid ${process.pid}`,
    { event: "starting" },
  );
  if (unix) {
    const ignored = tcpSettingsGiven(invocation.flags, process.env);
    if (ignored.length > 0) logObserver(log)({ event: "tcp_ignored", path: unix.path, ignored });
  }
  // Once, before any worker: with SO_REUSEPORT (Bun, Deno) a second pounce would otherwise join a
  // listener already there and silently take part of its traffic. Later generations never probe.
  // A unix socket is refused while something accepts on it (a stale one is replaced).
  const inUse = unix ? await unixSocketInUse(unix.path) : config.port === 0 ? undefined : await addressInUse(config.host, port);
  if (inUse) {
    logObserver(log)({ event: "boot_failed", generation: 0, cause: inUse.message });
    adapter.exit(inUse.exitCode);
  }
  const listen: ListenTarget = unix ?? { kind: "tcp", host: config.host, port };
  const unixSocket = unix ? new UnixSocket(unix, adapter.unixSocketShared) : undefined;
  const supervisor = new Supervisor({ config, adapter, log, entry, listen, unixSocket, cwd, pid: process.pid });
  // Observers beyond the log and the pid file (state file, systemd notify, …) register here, before start().
  supervisor.start();
  handOverEarlySignals(early);
}

/** The TCP settings that --uds overrides, as the operator gave them (flag or environment). */
function tcpSettingsGiven(flags: Record<string, string | boolean>, env: Record<string, string | undefined>): string[] {
  const given: string[] = [];
  for (const [flag, names] of [
    ["host", ["POUNCE_HOST", "HOST"]],
    ["port", ["POUNCE_PORT", "PORT"]],
  ] as const) {
    if (flags[flag] !== undefined) given.push(`--${flag}`);
    else {
      const name = names.find((n) => env[n] !== undefined && env[n] !== "");
      if (name) given.push(name);
    }
  }
  return given;
}
