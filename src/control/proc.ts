/**
 * What the process table says about a PID, read from /proc (Linux). Off Linux only liveness is
 * known (signal 0); the start time and command line are then undefined and the checks that use them
 * are skipped.
 */
import { readFileSync, readlinkSync } from "node:fs";

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
  } catch {
    return undefined;
  }
}

/** The command line as `ps` shows it (pounce's processes show their title). */
export function processCommand(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return undefined;
  }
}

/** Alive: it exists and is not a zombie (an exited process its parent has not reaped yet). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return process.platform !== "linux"; // no /proc to ask: signal 0 said it exists
  }
}

/** The process `pid` is still the one that started at `startTime` (when that is known). */
export function sameProcess(pid: number, startTime: string | null | undefined): boolean {
  if (!processExists(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/** A variable of another process's environment (same user), e.g. where its pid file is. */
export function processEnv(pid: number, name: string): string | undefined {
  try {
    for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0"))
      if (kv.startsWith(`${name}=`)) return kv.slice(name.length + 1);
  } catch {}
  return undefined;
}

/** The working directory of another process (same user). */
export function processCwd(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}
