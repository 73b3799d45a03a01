/**
 * What `ps` shows for this process after its title was set. On Linux a title gets only the room of
 * the original command line (Node's process.title and pounce's own argv rewrite on Bun and Deno
 * alike), so a short invocation (`pounce app.ts` through $PATH) cuts the address off; the
 * supervisor says so once. Undefined where /proc/self/cmdline cannot be read.
 */
import { readFileSync } from "node:fs";

export function shownTitle(): string | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return readFileSync("/proc/self/cmdline", "utf8").split("\0")[0];
  } catch {
    return undefined;
  }
}
