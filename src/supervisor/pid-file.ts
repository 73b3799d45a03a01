/**
 * The pid file: written once ready, removed on exit — an observer of the supervisor.
 *
 * Never through a symlink planted at its path or at the temporary name: the pid goes into a fresh
 * file opened with O_CREAT|O_EXCL|O_NOFOLLOW (the open fails on anything already there, a symlink
 * included) under an unguessable name, which rename(2) then puts over the path (rename replaces a
 * symlink there, it never follows it). On exit the file is removed only if it still holds this pid.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { describe } from "../errors.ts";
import type { Note, Observer } from "./notes.ts";

export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${pid}.${randomBytes(6).toString("hex")}.tmp`;
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0), 0o644);
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Remove `path` if it still names this supervisor (a newer instance may have written its own). */
export function removePidFile(path: string, pid: number): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(pid)) rmSync(path, { force: true });
  } catch {
    // gone already, or unreadable: not ours to remove
  }
}

/** Writes `path` on `ready` (or the note `on` names: `pounce wrap`'s `wrap_ready`), removes it on
 *  `exiting`; a write error becomes a `pid_file_error` note. */
export function pidFileObserver(path: string, pid: number, note: (n: Note) => void, on: Note["event"] = "ready"): Observer {
  let written = false;
  return (n) => {
    if (n.event === on) {
      try {
        writePidFile(path, pid);
        written = true;
      } catch (err) {
        note({ event: "pid_file_error", file: path, message: describe(err) });
      }
    } else if (n.event === "exiting" && written) {
      removePidFile(path, pid);
    }
  };
}
