/**
 * What stops the copies when the wrapper is SIGKILLed. JavaScript cannot reach PR_SET_PDEATHSIG,
 * and the copies run in their own process groups (so a terminal's Ctrl-C reaches only the wrapper,
 * which stops them in order), so nothing of the kernel's would stop them. Instead one small
 * `/bin/sh` guard per wrapper, in its own session, reads "+ PID" / "- PID" lines from a pipe whose
 * other end only the wrapper holds. When the wrapper dies for any reason the pipe reaches EOF at
 * once, and the guard SIGTERMs every copy still listed, waits `shutdown_timeout`, then SIGKILLs
 * their process groups. A wrapper that exits normally has no copies left: the guard just exits.
 */
import { type ChildProcess, spawn } from "node:child_process";

const SCRIPT = `
pids=""
while read -r op pid; do
  case "$op" in
    +) pids="$pids $pid" ;;
    -) pids=$(printf '%s\\n' $pids | grep -vx "$pid" | tr '\\n' ' ') ;;
  esac
done
[ -z "$pids" ] && exit 0
for p in $pids; do kill -TERM "$p" 2>/dev/null; done
sleep "$1"
for p in $pids; do kill -KILL "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
`;

export interface OrphanGuard {
  add(pid: number): void;
  remove(pid: number): void;
}

export function startOrphanGuard(shutdownTimeoutSeconds: number): OrphanGuard {
  let guard: ChildProcess | undefined;
  try {
    guard = spawn("/bin/sh", ["-c", SCRIPT, "pounce-wrap-guard", String(shutdownTimeoutSeconds)], {
      stdio: ["pipe", "ignore", "ignore"],
      detached: true,
    });
    guard.on("error", () => {});
    guard.stdin?.on("error", () => {});
    guard.unref();
    (guard.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch {
    guard = undefined;
  }
  const write = (line: string) => {
    try {
      guard?.stdin?.write(line);
    } catch {
      // the guard is gone: nothing to tell
    }
  };
  return { add: (pid) => write(`+ ${pid}\n`), remove: (pid) => write(`- ${pid}\n`) };
}
