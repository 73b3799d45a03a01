/**
 * `pounce [serve] <entry>`: resolve the configuration (flags, env, config file, in the working
 * directory as the operator named it), pick the adapter, refuse an address already in use, start
 * the supervisor (which reads the configuration again on each reload) and hand it the signals
 * caught before pounce was loaded.
 */
import { ConfigSource } from "../config-source.ts";
import { parseEntry, resolveEntry } from "../entry.ts";
import type { ListenTarget } from "../listen-target.ts";
import { Logger, lineSink } from "../log.ts";
import { guardOutput } from "../output-guard.ts";
import { checkPrivilegedPort, effectiveUid, resolveRunAs } from "../privileges.ts";
import { startDirectory } from "../release-dir.ts";
import { trace } from "../startup-trace.ts";
import { addressInUse } from "../supervisor/address-in-use.ts";
import { pickFreePort } from "../supervisor/free-port.ts";
import { logObserver } from "../supervisor/log-lines.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { type EarlySignals, handOverEarlySignals } from "./early-signals.ts";
import { findPackageManagerParent, npmTrapWarning, watchParent } from "./package-manager-parent.ts";
import type { ServeStart } from "./prespawn.ts";
import { parseServeArgs } from "./serve-command.ts";
import { version } from "./version.ts";

/** `start`: what prespawn.ts did first (systemd's variables taken, the adapter, the prespawned worker). */
export async function serve(args: string[], early: EarlySignals | undefined, start: ServeStart): Promise<void> {
  guardOutput(); // a closed or full log must not stop the supervisor
  trace("s-cli-loaded");
  const { systemd, adapter } = start;
  const invocation = parseServeArgs(args);
  const source = new ConfigSource({ ...invocation, env: process.env, startDir: startDirectory(process.env) });
  const { config, cwd, file } = await source.load();
  trace("s-config");
  const entry = resolveEntry(parseEntry(config.entry), cwd);
  // What only some configurations use is imported only by them (start-up time and the supervisor's
  // memory: bench/FINDINGS.md, "Start-up").
  const fileWatch =
    config.reload || config.reloadDir.length || config.reloadInclude.length ? await import("../watch/file-watch.ts") : undefined;
  const watched = fileWatch?.watchRoots(config, entry.file, cwd) ?? [];
  const log = new Logger({ level: config.logLevel, emit: lineSink(config.logFormat, (l) => process.stderr.write(l)) });
  if (file) logObserver(log)({ event: "config_loaded", file });
  if (config.tls)
    logObserver(log)({ event: "tls_loaded", cert: config.tlsCert, serial: config.tls.serial, notAfter: config.tls.notAfter });
  const runAs = resolveRunAs(config);
  await adapter.prepare?.(config, {
    info: (msg) => log.info(msg, { event: "runtime_note" }),
    warn: (msg) => log.warn(msg, { event: "runtime_warning" }),
  });
  trace("s-adapter");
  const activated = systemd.listen;
  if (activated) (await import("../systemd/socket-activation.ts")).checkInheritedSocket(adapter, config);
  const unixSockets = config.uds && !activated ? await import("../supervisor/unix-socket.ts") : undefined;
  const unix = unixSockets?.unixTarget(config, cwd, adapter);
  const port = activated || unix || config.port !== 0 ? config.port : await pickFreePort(config.host);
  log.info(
    `Starting pounce ${version()} (${adapter.runtime}): ${config.entry}, ${config.workers} worker(s), pid ${process.pid}`,
    { event: "starting" },
  );
  const say = logObserver(log);
  if (start.notPrespawned)
    log.debug(`No worker started ahead of the configuration: ${start.notPrespawned}`, { event: "prespawn_failed" });
  if (unix) {
    const ignored = tcpSettingsGiven(invocation.flags, process.env);
    if (ignored.length > 0) say({ event: "tcp_ignored", path: unix.path, ignored });
  }
  if (systemd.listenPidMismatch) say({ event: "listen_fds_not_ours", listenPid: systemd.listenPidMismatch, pid: process.pid });
  if (activated) say({ event: "socket_activation", fd: activated.fd, names: activated.name, ignored: ["--host", "--port"] });
  // Once, before any worker: with SO_REUSEPORT (Bun, Deno) a second pounce would otherwise join a
  // listener already there and silently take part of its traffic. Later generations never probe.
  // A unix socket is refused while something accepts on it (a stale one is replaced).
  const inUse = activated
    ? undefined
    : unix && unixSockets
      ? await unixSockets.unixSocketInUse(unix.path)
      : config.port === 0
        ? undefined
        : await addressInUse(config.host, port);
  if (inUse) {
    say({ event: "boot_failed", generation: 0, cause: inUse.message });
    adapter.exit(inUse.exitCode);
  }
  // A port is bound by the workers only for TCP (a unix socket is a file; socket activation passes one).
  if (runAs && !activated && !unix) checkPrivilegedPort(runAs, port, adapter.workersBindPort === true, adapter.runtime);
  if (runAs) say({ event: "workers_run_as", label: runAs.label, uid: runAs.uid, gid: runAs.gid });
  else if (effectiveUid() === 0) say({ event: "app_as_root" });
  const listen: ListenTarget = activated ? { kind: "fd", fd: activated.fd } : (unix ?? { kind: "tcp", host: config.host, port });
  const unixSocket = unix && unixSockets ? new unixSockets.UnixSocket(unix, adapter.unixSocketShared) : undefined;
  const supervisor = new Supervisor({
    config,
    adapter,
    log,
    entry,
    listen,
    unixSocket,
    runAs,
    cwd,
    pid: process.pid,
    prespawned: start.prespawned,
    reloadConfig: async () => {
      const loaded = await source.reload();
      // The file may raise --workers: refuse a count the socket cannot serve, as at start.
      if (unix) unixSockets?.unixTarget(loaded.config, cwd, adapter);
      return loaded;
    },
  });
  // Observers beyond the log and the pid file (state file, systemd notify, …) register here, before start().
  if (config.pidFile) {
    const [{ statePathFor }, { stateFileObserver }] = await Promise.all([
      import("../control/state.ts"),
      import("../control/state-observer.ts"),
    ]);
    // Before the log: `pounce status` right after "Ready to accept connections" says running.
    supervisor.observeFirst(
      stateFileObserver({
        path: statePathFor(config.pidFile),
        pid: process.pid,
        entry: config.entry,
        supervisor,
        note: (n) => supervisor.note(n),
      }),
    );
  }
  const packageManager = findPackageManagerParent(process.env, process.ppid);
  if (packageManager) {
    log.warn(npmTrapWarning(packageManager, process.pid), { event: "package_manager_parent" });
    watchParent(packageManager, () =>
      supervisor.dispatch({
        type: "stop",
        signal: "SIGTERM",
        because: `${packageManager.name} (pid ${packageManager.pid}), which started pounce, has exited`,
      }),
    );
  }
  if (systemd.notifySocket) {
    const { notifyObserver } = await import("../systemd/notify.ts");
    const { adapterNotifyChannel } = await import("../systemd/notify-channel.ts");
    supervisor.observe(
      notifyObserver(
        adapterNotifyChannel(adapter, systemd.notifySocket, (n) => supervisor.note(n)),
        () => supervisor.state,
      ),
    );
  }
  supervisor.observe((n) => {
    if (TRACED.has(n.event)) trace(`s-${n.event}`);
  });
  supervisor.start();
  if (fileWatch && watched.length) {
    const watch = fileWatch.startFileWatch({
      roots: watched,
      include: config.reloadInclude,
      cwd,
      dispatch: (e) => supervisor.dispatch(e),
      note: (n) => supervisor.note(n),
    });
    supervisor.observe((n) => (n.event === "shutdown_requested" || n.event === "exiting" ? watch.close() : undefined));
  }
  handOverEarlySignals(early);
}

/** The notes POUNCE_TRACE_STARTUP=1 prints (start-up, and a reload's steps: bench/tools/reload-trace.mjs). */
const TRACED = new Set([
  "worker_spawned",
  "worker_ready",
  "ready",
  "reload_requested",
  "reload_started",
  "reimported",
  "worker_draining",
  "cutover_complete",
  "reload_complete",
]);

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
