/**
 * `pounce wrap [options] -- command args…`: a stable PID in front of any server. SIGHUP starts a
 * second copy of the command, waits until it is ready, then stops the old one (src/wrap/wrapper.ts).
 * This file resolves the options, opens the shared socket, wires the observers and starts it.
 */

import { existsSync } from "node:fs";
import { envName } from "../config.ts";
import { statePathFor } from "../control/state.ts";
import { stateFileObserver } from "../control/state-observer.ts";
import { errors } from "../errors.ts";
import { Logger, lineSink } from "../log.ts";
import { logObserver } from "../supervisor/log-lines.ts";
import { pidFileObserver } from "../supervisor/pid-file.ts";
import { takeSystemdEnvironment } from "../systemd/environment.ts";
import { adapterNotifyChannel } from "../systemd/notify-channel.ts";
import { findCommand, logicalCwd } from "../wrap/command.ts";
import { describeTarget, openListen, removeSocketFile } from "../wrap/listen.ts";
import { openNotifySocket } from "../wrap/notify.ts";
import { ownEnvNames, parseWrapArgs, WRAP_OPTIONS } from "../wrap/options.ts";
import { asSupervisorNotes } from "../wrap/state-notes.ts";
import { wrapNotifier } from "../wrap/systemd-notify.ts";
import { Wrapper } from "../wrap/wrapper.ts";
import { type EarlySignals, handOverEarlySignals } from "./early-signals.ts";
import type { CommandSpec } from "./help.ts";
import { loadAdapter } from "./load-adapter.ts";
import { version } from "./version.ts";

export const wrapCommand: CommandSpec = {
  name: "wrap",
  summary: "Keep one PID in front of any server: SIGHUP starts a second copy, then stops the old one",
  usage: "pounce wrap [options] -- <command> [args…]",
  flags: WRAP_OPTIONS.map((o) => ({
    flag: o.flag,
    kind: o.kind === "boolean" ? "boolean" : "string",
    valueHint: o.valueHint ?? o.choices?.join("|"),
    description: o.description,
    env: envName(o),
    default: o.default === "" ? "off" : o.default,
  })),
  details: [
    "SIGHUP/SIGUSR1 starts a second copy, waits until it is ready, then SIGTERMs the old one; SIGTERM/SIGINT stops it.",
    "The copies must share one address: --listen (the wrapper's socket as fd 3, systemd socket activation),",
    "or a unix socket each copy renames over the old one, or SO_REUSEPORT.",
  ],
  examples: [
    "pounce wrap --listen 127.0.0.1:8000 --ready notify -- gunicorn app:app",
    "pounce wrap --listen 127.0.0.1:8000 --pid-file wrap.pid -- node server.mjs",
  ],
  run: (args, early) => wrap(args, early),
};

/** Variables that are the wrapper's own business and would mislead a copy. */
const NOT_INHERITED = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", ...ownEnvNames()];

export async function wrap(args: string[], early?: EarlySignals): Promise<void> {
  // Before any copy can start: systemd's variables are the wrapper's alone.
  const systemd = takeSystemdEnvironment(process.env, process.pid);
  const cwd = logicalCwd(process.env, process.cwd());
  const config = parseWrapArgs(args, process.env, cwd);
  if (!existsSync(config.chdir)) throw errors.badValue("--chdir", "must be an existing directory", config.chdir);
  findCommand(config.command[0] as string, config.chdir, process.env);
  const log = new Logger({ level: config.logLevel, emit: lineSink(config.logFormat, (l) => process.stderr.write(l)) });
  const logLines = logObserver(log);
  const adapter = await loadAdapter();
  logLines({
    event: "wrap_starting",
    version: version(),
    runtime: adapter.runtime,
    command: config.command.join(" "),
    pid: process.pid,
  });
  let wrapper: Wrapper | undefined;
  const notify = await openNotifySocket(adapter, config.ready.kind === "notify", (senderPid) =>
    wrapper?.dispatch({ type: "notify-ready", senderPid }),
  );
  let listenFd: number | undefined;
  if (systemd.listen) {
    // Socket-activated itself: the socket systemd passed is the one every copy gets.
    listenFd = systemd.listen.fd;
    logLines({
      event: "socket_activation",
      fd: listenFd,
      names: systemd.listen.name,
      ignored: config.listen ? ["--listen"] : [],
    });
  } else if (config.listen) {
    const held = await openListen(adapter, config.listen);
    listenFd = held.fd;
    logLines({ event: "wrap_listening", address: describeTarget(config.listen, held.port) });
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !NOT_INHERITED.includes(k)) env[k] = v;
  wrapper = new Wrapper({ config, adapter, log, cwd: config.chdir, env, listenFd, notifySocket: notify?.path });
  // The pid file first: it exists by the time "Ready" is read.
  if (config.pidFile) wrapper.observe(pidFileObserver(config.pidFile, process.pid, (n) => wrapper?.note(n), "wrap_ready"));
  wrapper.observe(logLines);
  if (config.pidFile)
    wrapper.observe(
      asSupervisorNotes(
        stateFileObserver({
          path: statePathFor(config.pidFile),
          pid: process.pid,
          entry: config.command.join(" "),
          supervisor: wrapper,
          note: (n) => wrapper?.note(n),
        }),
      ),
    );
  if (systemd.listenPidMismatch)
    logLines({ event: "listen_fds_not_ours", listenPid: systemd.listenPidMismatch, pid: process.pid });
  if (systemd.notifySocket) {
    const w = wrapper;
    const owed = () => w.state.pendingReload !== undefined || (w.state.phase.kind === "running" && w.state.next !== undefined);
    w.observe(
      wrapNotifier(
        adapterNotifyChannel(adapter, systemd.notifySocket, (n) => w.note(n)),
        process.pid,
        owed,
      ),
    );
  }
  wrapper.observe((n) => {
    if (n.event !== "exiting") return;
    removeSocketFile(config.listen);
    notify?.close();
  });
  wrapper.start();
  handOverEarlySignals(early);
}
