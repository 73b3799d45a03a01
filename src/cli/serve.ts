/**
 * `pounce [serve] <entry>`: resolve the configuration, pick the adapter, refuse an address already
 * in use, start the supervisor and hand it the signals caught before pounce was loaded.
 */
import { runtime as detectedRuntime } from "std-env";
import type { RuntimeAdapter } from "../adapter.ts";
import { resolveConfig } from "../config.ts";
import { parseEntry, resolveEntry } from "../entry.ts";
import { PounceError } from "../errors.ts";
import { Logger, lineSink } from "../log.ts";
import { addressInUse } from "../supervisor/address-in-use.ts";
import { pickFreePort } from "../supervisor/free-port.ts";
import { logObserver } from "../supervisor/log-lines.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { takeSystemdEnvironment } from "../systemd/environment.ts";
import { notifierFor } from "../systemd/notify.ts";
import { checkInheritedSocket } from "../systemd/socket-activation.ts";
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
  // Before anything can spawn a worker: systemd's variables are the supervisor's alone.
  const systemd = takeSystemdEnvironment(process.env, process.pid);
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
  const activated = systemd.listen;
  if (activated) checkInheritedSocket(adapter);
  const port = activated ? config.port : config.port === 0 ? await pickFreePort(config.host) : config.port;
  log.info(
    `Starting pounce ${version()} (${adapter.runtime}): ${config.entry}, ${config.workers} worker(s), pid ${process.pid}`,
    { event: "starting" },
  );
  // Once, before any worker: with SO_REUSEPORT (Bun, Deno) a second pounce would otherwise join a
  // listener already there and silently take part of its traffic. Later generations never probe.
  const say = logObserver(log);
  if (systemd.listenPidMismatch) say({ event: "listen_fds_not_ours", listenPid: systemd.listenPidMismatch, pid: process.pid });
  if (activated) say({ event: "socket_activation", fd: activated.fd, names: activated.name, ignored: ["--host", "--port"] });
  const inUse = config.port === 0 || activated ? undefined : await addressInUse(config.host, port);
  if (inUse) {
    say({ event: "boot_failed", generation: 0, cause: inUse.message });
    adapter.exit(inUse.exitCode);
  }
  const supervisor = new Supervisor({ config, adapter, log, entry, port, listenFd: activated?.fd, cwd, pid: process.pid });
  // Observers beyond the log and the pid file (state file, systemd notify, …) register here, before start().
  if (systemd.notifySocket)
    supervisor.observe(
      notifierFor(
        adapter,
        systemd.notifySocket,
        () => supervisor.state,
        (n) => supervisor.note(n),
      ),
    );
  supervisor.start();
  handOverEarlySignals(early);
}
