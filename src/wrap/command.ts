/**
 * Where each copy of the wrapped command starts. The working directory is kept as the operator
 * gave it (the shell's $PWD, symlinks and all) and resolved through symlinks again for every copy,
 * so a `current -> releases/vN` flip before a SIGHUP starts the new copy in vN, relative arguments
 * included. The command itself is looked up (and its symlinks followed) by exec at each start.
 */
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { errors } from "../errors.ts";

/** The directory as the operator named it: $PWD when it is the process's cwd, else the cwd. */
export function logicalCwd(env: Record<string, string | undefined>, cwd: string): string {
  const pwd = env.PWD;
  if (pwd && isAbsolute(pwd)) {
    try {
      const a = statSync(pwd);
      const b = statSync(cwd);
      if (a.ino === b.ino && a.dev === b.dev) return pwd;
    } catch {
      // $PWD is stale
    }
  }
  return cwd;
}

/** The directory a new copy starts in: `dir` through its symlinks, now. */
export function copyCwd(dir: string): string {
  return realpathSync(dir);
}

/** The executable `cmd` names from `cwd` (PATH lookup for a bare name); throws when there is none. */
export function findCommand(cmd: string, cwd: string, env: Record<string, string | undefined>): string {
  const candidates = cmd.includes("/")
    ? [resolve(cwd, cmd)]
    : (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter).map((d) => join(resolve(cwd, d || "."), cmd));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw errors.commandNotFound(cmd);
}
