/** The pid file: written (atomically) once ready, removed on exit. */
import { renameSync, rmSync, writeFileSync } from "node:fs";

export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`);
  renameSync(tmp, path);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}
