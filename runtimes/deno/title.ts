/**
 * Process titles. Deno's `process.title` setter changes nothing that `ps` shows, so on Linux pounce
 * does what setproctitle(3) does: overwrite the process's own argv area (found in /proc/self/stat,
 * written through /proc/self/mem). The title is cut to the length of the original command line,
 * which `deno run … pounce app.ts` always exceeds. Needs read and write access to /proc/self;
 * elsewhere, or without them, the title stays the command line.
 */
import { Deno } from "./deno-api.ts";

let argRange: { start: bigint; room: number } | null | undefined;

function locateArgv(): { start: bigint; room: number } | null {
  if (argRange !== undefined) return argRange;
  argRange = null;
  if (Deno.build.os !== "linux") return null;
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after "(comm)" start with field 3; arg_start and arg_end are fields 48 and 49.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = BigInt(fields[48 - 3] ?? "0");
    const end = BigInt(fields[49 - 3] ?? "0");
    if (start > 0n && end > start) argRange = { start, room: Number(end - start) };
  } catch {
    // no /proc access: keep the command line
  }
  return argRange;
}

export function setProcessTitle(title: string): boolean {
  const range = locateArgv();
  if (!range) return false;
  const bytes = new Uint8Array(range.room); // zero-filled: ps shows only the title
  bytes.set(new TextEncoder().encode(title).subarray(0, range.room - 1));
  try {
    const mem = Deno.openSync("/proc/self/mem", { read: true, write: true });
    try {
      mem.seekSync(range.start, 0 /* SeekMode.Start */);
      mem.writeSync(bytes);
    } finally {
      mem.close();
    }
    return true;
  } catch {
    return false;
  }
}
