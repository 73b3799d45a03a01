/** A supervisor's live worker processes, read from /proc (cheap enough to sample during a reload). */
import { readdirSync, readFileSync } from "node:fs";

/** PIDs of `pid`'s children that are alive (not zombies waiting to be reaped), from any of its threads. */
export function liveChildren(pid: number): number[] {
  const out = new Set<number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const t of tasks) {
    let list = "";
    try {
      list = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8");
    } catch {
      continue;
    }
    for (const c of list.trim().split(/\s+/).filter(Boolean).map(Number)) if (!zombie(c)) out.add(c);
  }
  return [...out];
}

function zombie(pid: number): boolean {
  try {
    // The state follows the parenthesised command name, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true; // gone
  }
}

/** Sample `liveChildren(pid)` every `everyMs` until stopped; the most seen at once. */
export function samplePeak(pid: number, everyMs = 20): { stop(): number } {
  let peak = liveChildren(pid).length;
  const timer = setInterval(() => {
    peak = Math.max(peak, liveChildren(pid).length);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, liveChildren(pid).length);
    },
  };
}

/** Whether `pid` catches signal number `n` (SigCgt in /proc/<pid>/status). */
export function catchesSignal(pid: number, n: number): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(n - 1))) !== 0n;
  } catch {
    return false;
  }
}
