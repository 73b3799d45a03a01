/**
 * Process titles on Bun. Bun's `process.title` setter changes nothing `ps` shows, so on Linux pounce
 * does what setproctitle(3) does: overwrite the process's own argv area (located through
 * /proc/self/stat fields 48–49, written through /proc/self/mem). The title is cut to the length of
 * the original command line (`bun …/pounce.mjs app.ts` and a worker's spec argument leave room).
 * process.argv was copied at start-up, so Bun itself never reads this memory again. Where /proc/self
 * is not writable, or off Linux, the title stays the command line (and process.title is set).
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

let argRange: { start: number; room: number } | null | undefined;

function locateArgv(): { start: number; room: number } | null {
  if (argRange !== undefined) return argRange;
  argRange = null;
  if (process.platform !== "linux") return null;
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after "(comm)" start with field 3; arg_start and arg_end are fields 48 and 49.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[48 - 3] ?? "0");
    const end = Number(fields[49 - 3] ?? "0");
    if (Number.isSafeInteger(start) && start > 0 && end > start) argRange = { start, room: end - start };
  } catch {
    // no /proc: keep the command line
  }
  return argRange;
}

export function setProcessTitle(title: string): boolean {
  try {
    process.title = title;
  } catch {
    // some runtimes refuse; the argv rewrite below is what ps shows anyway
  }
  const range = locateArgv();
  if (!range) return false;
  const bytes = Buffer.alloc(range.room); // zero-filled: ps shows only the title
  bytes.write(title.slice(0, range.room - 1), "utf8");
  try {
    const fd = openSync("/proc/self/mem", "r+");
    try {
      writeSync(fd, bytes, 0, bytes.length, range.start);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}
