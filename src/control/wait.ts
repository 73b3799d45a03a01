/**
 * Waiting for a server to get somewhere, without a control port: the supervisor rewrites its state
 * file (by rename) on every change, so `fs.watch` on the file's directory wakes the wait at once;
 * a poll every POLL_MS is the fallback (a directory fs.watch cannot follow, a supervisor that died
 * without a last write) and bounds every wait together with the timeout.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { readState, type ServerState } from "./state.ts";

export const POLL_MS = 250;

/**
 * Calls `check` with the state file's content now, on every change and at least every POLL_MS,
 * until it returns something other than undefined (resolved with it) or `timeoutMs` passes
 * (resolved with undefined).
 */
export function waitForState<T>(
  statePath: string | undefined,
  timeoutMs: number,
  check: (state: ServerState | undefined) => T | undefined,
  pollMs = POLL_MS,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    let done = false;
    const finish = (value: T | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(poll);
      watcher?.close();
      resolve(value);
    };
    const look = () => {
      if (done) return;
      const value = check(statePath ? readState(statePath) : undefined);
      if (value !== undefined) finish(value);
    };
    const deadline = setTimeout(() => finish(undefined), timeoutMs);
    const poll = setInterval(look, pollMs);
    if (statePath) {
      const name = basename(statePath);
      try {
        watcher = watch(dirname(statePath), (_event, file) => {
          if (file === null || file === name || String(file) === name) look();
        });
        watcher.on("error", () => watcher?.close()); // the poll carries on
      } catch {
        // no watch here (e.g. ENOSPC): the poll alone
      }
    }
    look();
  });
}
