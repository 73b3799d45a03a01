/** The pid file: written (atomically) once ready, removed on exit — an observer of the supervisor. */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { describe } from "../errors.ts";
import type { Note, Observer } from "./notes.ts";

export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`);
  renameSync(tmp, path);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
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
      removePidFile(path);
    }
  };
}
