/**
 * Which paths the dev file watcher cares about: files with a watched extension, outside the
 * directories it never enters (dependencies, VCS, build output, dot-directories), and not an
 * editor's temporary or swap file. Directories are judged *before* they are watched, so a
 * `node_modules` tree never costs one inotify watch.
 */
import { extname, sep } from "node:path";

/** What `--reload` watches by default; `--reload-include` adds to it. */
export const DEFAULT_EXTENSIONS: readonly string[] = [".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"];

const IGNORED_DIRS = new Set(["node_modules", ".git", "dist", "build"]);

/** A directory the walk never enters (nor watches): node_modules, .git, dist, build, any `.name`. */
export function isIgnoredDir(name: string): boolean {
  return IGNORED_DIRS.has(name) || name.startsWith(".");
}

/**
 * An editor's scratch file: vim's swap files (`.app.ts.swp`, `.swo`, `.swx`) and its write test
 * `4913`, backups ending in `~`, emacs' lock `.#app.ts` and auto-save `#app.ts#`, and the temporary
 * names of write-then-rename saves (`app.ts.tmp`, JetBrains' `app.ts___jb_tmp___`).
 */
export function isEditorTemp(name: string): boolean {
  return (
    /\.sw[a-px]$/.test(name) ||
    name.endsWith("~") ||
    name === "4913" ||
    name.startsWith(".#") ||
    (name.startsWith("#") && name.endsWith("#")) ||
    /\.(tmp|temp|bak)$/i.test(name) ||
    name.endsWith("___jb_tmp___") ||
    name.endsWith("___jb_old___")
  );
}

/** Does a change at `relPath` (relative to a watched root) call for a reload? */
export function countsAsChange(relPath: string, extensions: ReadonlySet<string>): boolean {
  const parts = relPath.split(sep).filter(Boolean);
  const name = parts.pop();
  if (!name || parts.some(isIgnoredDir) || isEditorTemp(name)) return false;
  return extensions.has(extname(name).toLowerCase());
}

export function extensionSet(include: readonly string[]): ReadonlySet<string> {
  return new Set([...DEFAULT_EXTENSIONS, ...include.map((e) => e.toLowerCase())]);
}
