/**
 * Which server a control command talks to, checked before anything is signalled: the pid file
 * names a PID; that process must still exist and still be the pounce that wrote the file (its start
 * time, recorded in the state file, must match /proc/PID/stat; without a state file, its command
 * line must be pounce's). A stale or foreign pid file is an error, never a signal to someone else.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { errors } from "../errors.ts";
import { processCommand, processCwd, processEnv, processExists, processStartTime } from "./proc.ts";
import { readState, type ServerState, statePathFor } from "./state.ts";

export interface TargetSpec {
  pidFile?: string;
  pid?: number;
}

export interface Target {
  pid: number;
  /** Where this server's state file is (undefined when it has none). */
  statePath?: string;
  /** The state file as it was when the target was found (only when it belongs to this PID). */
  state?: ServerState;
  /** For messages: "pid file F" or "pid N". */
  where: string;
}

export function findTarget(spec: TargetSpec): Target {
  if (spec.pidFile !== undefined) return fromPidFile(spec.pidFile);
  return fromPid(spec.pid as number);
}

function fromPidFile(pidFile: string): Target {
  const statePath = statePathFor(pidFile);
  const state = readState(statePath);
  const where = `pid file ${pidFile}`;
  let text: string | undefined;
  try {
    text = readFileSync(pidFile, "utf8");
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    // The pid file is written once the server is ready; the state file from its first moment.
    if (state && state.phase !== "exited" && processExists(state.pid) && startMatches(state)) {
      return { pid: state.pid, statePath, state, where: `state file ${statePath}` };
    }
    const last =
      state?.phase === "exited" ? `it last exited with code ${state.exit_code}, started ${state.started_at}` : undefined;
    throw errors.notRunning(pidFile, last);
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) throw errors.badPidFile(pidFile, text.trim());
  return check(pid, where, statePath, state);
}

function fromPid(pid: number): Target {
  const where = `pid ${pid}`;
  if (!processExists(pid)) throw errors.stalePid(where, pid);
  // The supervisor's flags are gone from /proc/PID/cmdline (its title replaced them); its
  // environment still says where its pid file is when it was given as POUNCE_PID_FILE.
  const fromEnv = processEnv(pid, "POUNCE_PID_FILE");
  const cwd = processCwd(pid);
  const pidFile = fromEnv && (isAbsolute(fromEnv) ? fromEnv : cwd ? resolve(cwd, fromEnv) : undefined);
  const statePath = pidFile ? statePathFor(pidFile) : undefined;
  return check(pid, where, statePath, statePath ? readState(statePath) : undefined);
}

function check(pid: number, where: string, statePath: string | undefined, state: ServerState | undefined): Target {
  if (!processExists(pid)) throw errors.stalePid(where, pid);
  const mine = state?.pid === pid ? state : undefined;
  if (mine) {
    if (!startMatches(mine)) throw errors.foreignPid(where, pid, describeProcess(pid, "started after the pounce that wrote it"));
    return { pid, statePath, state: mine, where };
  }
  const cmd = processCommand(pid);
  if (cmd !== undefined && !/pounce/.test(cmd)) throw errors.foreignPid(where, pid, describeProcess(pid, "not pounce"));
  return { pid, statePath, where };
}

function startMatches(state: ServerState): boolean {
  if (!state.start_time) return true;
  const now = processStartTime(state.pid);
  return now === undefined || now === state.start_time;
}

function describeProcess(pid: number, why: string): string {
  const cmd = processCommand(pid);
  return cmd ? `${cmd.length > 60 ? `${cmd.slice(0, 57)}...` : cmd}, ${why}` : why;
}
