/**
 * The npx trap: under `npx pounce`, `npm start` or `npm exec`, the process an operator finds and
 * signals is npm, not pounce. npm does not pass SIGHUP on: it dies of it (exit 129) and pounce goes on
 * running the old code, orphaned and unseen. (`bun run` passes the signals on, so it is left alone;
 * yarn and pnpm are not handled: not tried.)
 *
 * So pounce finds npm among its ancestors (the process that runs `$npm_execpath`, or that npm has
 * retitled `npm <command>`), says once at start what to signal instead, and watches it: when it
 * exits, pounce shuts down gracefully, as on SIGTERM — whatever supervises the package manager sees
 * the service stop and can restart it, rather than a second copy that cannot bind.
 *
 * Linux only (/proc); elsewhere nothing is watched and the warning says so.
 */
import { readFileSync, realpathSync } from "node:fs";

export interface PackageManagerParent {
  pid: number;
  /** From $npm_config_user_agent: only `npm` is handled. */
  name: string;
}

const POLL_MS = 1_000;
const MAX_DEPTH = 6;

function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "", ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** npm retitles itself (`npm start`, `npm exec pounce …`), so its command line no longer names npm-cli.js. */
function runs(pid: number, execPath: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (args.some((a) => a === execPath) || /^npm( |$)/.test(args[0] ?? "")) return true;
    return realpathSync(`/proc/${pid}/exe`) === realpathSync(execPath);
  } catch {
    return false;
  }
}

/** The package manager that started this process, if the environment says one did. */
export function findPackageManagerParent(
  env: Record<string, string | undefined>,
  ppid: number,
): PackageManagerParent | undefined {
  const execPath = env.npm_execpath;
  if (!env.npm_lifecycle_event || !execPath) return undefined;
  const name = /^(\w+)\//.exec(env.npm_config_user_agent ?? "")?.[1];
  if (name !== "npm") return undefined;
  let pid = ppid;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1; depth++) {
    if (runs(pid, execPath)) return { pid, name };
    const s = stat(pid);
    if (!s) break;
    pid = s.ppid;
  }
  return { pid: 0, name };
}

export function npmTrapWarning(parent: PackageManagerParent, selfPid: number): string {
  const tail =
    parent.pid > 0
      ? `if ${parent.name} (pid ${parent.pid}) exits, pounce shuts down gracefully`
      : `its process was not found, so pounce cannot follow it`;
  return `pounce was started by ${parent.name} (npx, npm start, npm exec): ${parent.name} does not pass SIGHUP on, so a reload must signal pounce itself (pid ${selfPid}, or --pid-file), or run node_modules/.bin/pounce directly under your process manager; ${tail}`;
}

/** Calls `gone` once, when the package manager has exited (or become a zombie). */
export function watchParent(parent: PackageManagerParent, gone: () => void): void {
  if (parent.pid <= 0) return;
  const timer = setInterval(() => {
    const s = stat(parent.pid);
    if (s && s.state !== "Z" && s.state !== "X") return;
    clearInterval(timer);
    gone();
  }, POLL_MS);
  (timer as { unref?: () => void }).unref?.();
}
