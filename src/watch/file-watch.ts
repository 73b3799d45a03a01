/**
 * `--reload`: watch the entry's directory (and each `--reload-dir`) and turn a burst of changes
 * into one `{ type: "reload", cause: { kind: "file", path } }` event for the supervisor — the same
 * rolling reload as a SIGHUP, so a save with a syntax error fails that reload and the last good
 * generation keeps serving. Which paths count: paths.ts; one reload per burst: debounce.ts; one
 * watch per directory: tree.ts.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import type { Config } from "../config.ts";
import { describe, errors } from "../errors.ts";
import { type Clock, systemClock } from "../supervisor/clock.ts";
import type { SupervisorEvent } from "../supervisor/events.ts";
import type { Note } from "../supervisor/notes.ts";
import { Debounce } from "./debounce.ts";
import { countsAsChange, extensionSet } from "./paths.ts";
import { WatchedTree } from "./tree.ts";

/** The directories `--reload` watches, checked before anything starts (exit 2 on a bad one). */
export function watchRoots(config: Config, entryFile: string, cwd: string): string[] {
  if (!config.reload) {
    if (config.reloadDir.length) throw errors.badValue("--reload-dir", "only works with --reload", config.reloadDir.join(","));
    if (config.reloadInclude.length)
      throw errors.badValue("--reload-include", "only works with --reload", config.reloadInclude.join(","));
    return [];
  }
  const roots = [dirname(entryFile)];
  for (const dir of config.reloadDir) {
    const abs = resolve(cwd, dir);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {}
    if (!isDir) throw errors.badValue("--reload-dir", "must name an existing directory", dir);
    const real = realpathSync(abs); // as the entry's: one spelling of every path
    if (!roots.includes(real)) roots.push(real);
  }
  return roots;
}

export interface FileWatchOptions {
  roots: string[];
  include: string[];
  /** Paths in log lines are relative to this. */
  cwd: string;
  dispatch(event: SupervisorEvent): void;
  note(note: Note): void;
  clock?: Clock;
}

export interface FileWatch {
  close(): void;
}

export function startFileWatch(opts: FileWatchOptions): FileWatch {
  const extensions = extensionSet(opts.include);
  const base = realpathSync(opts.cwd);
  const show = (path: string) => relative(base, path) || ".";
  // The path named is the burst's first that still exists: Deno also reports a change in a watched
  // sub-directory to the watcher of its parent, under the bare file name (a path that is not there).
  const debounce = new Debounce(opts.clock ?? systemClock, (paths) => {
    const named = paths.find((p) => existsSync(p)) ?? (paths[0] as string);
    opts.dispatch({ type: "reload", cause: { kind: "file", path: show(named) } });
  });
  let limitReported = false;
  const tree = new WatchedTree({
    change(path, dirGone) {
      // The innermost root: `--reload-dir dist` inside the entry's directory is watched, not ignored.
      const root = opts.roots.filter((r) => path === r || path.startsWith(`${r}${sep}`)).sort((a, b) => b.length - a.length)[0];
      if (root !== undefined && (dirGone || countsAsChange(relative(root, path), extensions))) debounce.push(path);
    },
    error(dir, err) {
      const code = (err as { code?: unknown }).code;
      if (code === "ENOSPC" || code === "EMFILE") {
        if (limitReported) return;
        limitReported = true;
      }
      opts.note({ event: "watch_error", dir: show(dir), message: describe(err), limit: code === "ENOSPC" });
    },
  });
  for (const root of opts.roots) tree.add(root);
  opts.note({ event: "watch_started", dirs: tree.size, roots: opts.roots.map(show), extensions: [...extensions] });
  return {
    close() {
      debounce.cancel();
      tree.close();
    },
  };
}
