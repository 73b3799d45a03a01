/**
 * Watch a tree one directory at a time: walk it, skip the directories the filter ignores *before*
 * watching anything in them, and put one non-recursive `fs.watch` on each directory that is left.
 * (A recursive watch on Linux puts an inotify watch on every directory below, node_modules
 * included, with no way to exclude: ENOSPC and CPU storms. Node 20's recursive watch also lost a
 * file after its first write-then-rename save.) A directory that appears is walked and watched; one
 * that goes away is unwatched. Symbolic links to directories are not followed (no loops).
 * Only `node:fs` is used, which every supported runtime provides.
 */
import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { join, sep } from "node:path";
import { isIgnoredDir } from "./paths.ts";

export interface TreeEvents {
  /** Something changed at this absolute path (a file written, renamed, created or removed), or
   *  `dirGone`: a watched directory went away — its files' own events may never come (the runtime
   *  can drop what was queued on the watch being closed), so its going is a change in itself. */
  change(path: string, dirGone?: boolean): void;
  /** A directory could not be watched (e.g. ENOSPC: the inotify watch limit). */
  error(dir: string, err: unknown): void;
}

export class WatchedTree {
  readonly #events: TreeEvents;
  readonly #watchers = new Map<string, FSWatcher>();
  #closed = false;

  constructor(events: TreeEvents) {
    this.#events = events;
  }

  /** Directories watched now. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Watch `root` and every directory below it that is not ignored; returns the files found. */
  add(root: string): string[] {
    const files: string[] = [];
    this.#walk(root, files);
    return files;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  #walk(dir: string, files: string[]): void {
    if (this.#closed || this.#watchers.has(dir)) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone again already
    }
    if (!this.#watch(dir)) return;
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (!isIgnoredDir(e.name)) this.#walk(path, files);
      } else files.push(path);
    }
  }

  #watch(dir: string): boolean {
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_type, name) => {
        if (name !== null && name !== undefined) this.#changed(dir, String(name));
      });
    } catch (err) {
      this.#events.error(dir, err);
      return false;
    }
    // The directory itself went away (or became unreadable): forget its watcher.
    w.on("error", () => this.#unwatch(dir));
    this.#watchers.set(dir, w);
    return true;
  }

  #changed(dir: string, name: string): void {
    if (this.#closed) return;
    const path = join(dir, name);
    const isDir = this.#isDir(path);
    if (isIgnoredDir(name) && isDir !== false) return; // never look inside
    if (isDir === true && !this.#watchers.has(path)) {
      // A new directory: watch it, and count the files it already holds (created before its watch).
      for (const file of this.add(path)) this.#events.change(file);
      return;
    }
    if (isDir === undefined && this.#unwatchBelow(path)) this.#events.change(path, true);
    else this.#events.change(path);
  }

  /** true / false, or undefined when nothing is there any more. */
  #isDir(path: string): boolean | undefined {
    try {
      return statSync(path).isDirectory();
    } catch {
      return undefined;
    }
  }

  #unwatch(dir: string): void {
    this.#watchers.get(dir)?.close();
    this.#watchers.delete(dir);
  }

  /** Stop watching `path` and everything below it; true when something was watched there. */
  #unwatchBelow(path: string): boolean {
    let any = false;
    for (const dir of [...this.#watchers.keys()])
      if (dir === path || dir.startsWith(`${path}${sep}`)) {
        this.#unwatch(dir);
        any = true;
      }
    return any;
  }
}
