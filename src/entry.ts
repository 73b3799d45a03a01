/**
 * The entry spec `path[:export]`: which file to import and which export holds the app. Resolved
 * again on every reload, through symlinks, so a `current -> releases/v42` flip picks up v42.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { errors } from "./errors.ts";

export const ENTRY_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;

export interface EntrySpec {
  /** What the operator typed, for messages and the process title. */
  spec: string;
  /** The path part, before any `:export`. */
  path: string;
  exportName: string;
}

export interface ResolvedEntry extends EntrySpec {
  /** Absolute, symlink-free path of the file to import. */
  file: string;
}

export function parseEntry(spec: string): EntrySpec {
  // `app.ts:api` or `myapp:app`; a trailing identifier after the last colon names the export.
  const m = /^(.+):([A-Za-z_$][\w$]*)$/.exec(spec);
  if (m?.[1] && m[2]) return { spec, path: m[1], exportName: m[2] };
  return { spec, path: spec, exportName: "default" };
}

export function resolveEntry(entry: EntrySpec, cwd: string): ResolvedEntry {
  const base = resolve(cwd, entry.path);
  const tried: string[] = [];
  const candidates = [base, ...ENTRY_EXTENSIONS.map((ext) => base + ext)];
  for (const candidate of candidates) {
    tried.push(candidate);
    if (isFile(candidate)) return { ...entry, file: realpathSync(candidate) };
  }
  if (isDir(base)) {
    for (const ext of ENTRY_EXTENSIONS) {
      const index = resolve(base, `index${ext}`);
      tried.push(index);
      if (isFile(index)) return { ...entry, file: realpathSync(index) };
    }
  }
  throw errors.entryNotFound(entry.path, tried.length > 1 ? [entry.path, ...ENTRY_EXTENSIONS.map((e) => entry.path + e)] : tried);
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
