/**
 * The working directory as the operator named it, re-resolved on every reload. Started in
 * `/srv/app/current` (a symlink to `releases/v1`), the kernel reports `releases/v1` as the process's
 * working directory forever; the shell's $PWD still says `current`. So when $PWD names the same
 * directory as process.cwd(), pounce keeps $PWD and resolves it again at each reload: after a flip of
 * `current` to v2, the new generation's workers run in v2 (relative reads, the config file and a
 * relative entry follow the release that serves), and flipping back and reloading rolls back.
 * (gunicorn reads $PWD the same way, for the same reason.)
 */
import { realpathSync, statSync } from "node:fs";
import { describe, errors } from "./errors.ts";

/** $PWD when it is the same directory as `cwd` (same device and inode), else `cwd` itself. */
export function startDirectory(env: Record<string, string | undefined>, cwd: string = process.cwd()): string {
  const logical = env.PWD;
  if (!logical?.startsWith("/") || logical === cwd) return cwd;
  try {
    const a = statSync(logical);
    const b = statSync(cwd);
    return a.isDirectory() && a.dev === b.dev && a.ino === b.ino ? logical : cwd;
  } catch {
    return cwd;
  }
}

/** Where `dir` leads now, through every symlink: the directory a new generation runs in. */
export function resolveWorkdir(dir: string): string {
  let real: string;
  let isDir: boolean;
  try {
    real = realpathSync(dir);
    isDir = statSync(real).isDirectory();
  } catch (err) {
    throw errors.workdirGone(dir, describe(err));
  }
  if (!isDir) throw errors.workdirGone(dir, `${real} is not a directory`);
  return real;
}
