/**
 * The wrapper's reconcile step, run after every event: from the state alone, act on the deadlines
 * that have passed (a copy not ready within startup_timeout, one that did not exit within its
 * stop timeout), finish a shutdown, start a restart whose back-off is over, start a pending
 * reload, declare a reload complete — and return when to wake up next.
 */
import { EXIT } from "../errors.ts";
import type { Note } from "../supervisor/notes.ts";
import type { WrapConfig } from "./options.ts";
import type { CopyRecord, WrapState } from "./state.ts";

/** What reconcile sees of the wrapper: its state, and its hands on copies. */
export interface WrapCore {
  readonly state: WrapState;
  readonly config: WrapConfig;
  now(): number;
  note(n: Note): void;
  exit(code: number): void;
  startCopy(purpose: CopyRecord["purpose"]): CopyRecord;
  /** SIGTERM with its deadline. */
  stopCopy(rec: CopyRecord, why: "reload" | "shutdown" | "abandon"): void;
  /** SIGKILL to its process group. */
  kill(rec: CopyRecord): void;
  /** Why a copy failed, with the tail of its output. */
  failure(rec: CopyRecord, how: string): string;
}

export function reconcile(w: WrapCore): number | undefined {
  const s = w.state;
  const now = w.now();
  for (const c of s.live) {
    const st = c.status;
    if (c.killed) continue;
    if (st.kind === "starting" && now >= st.deadline) {
      const t = w.config.startupTimeout;
      const cause = w.failure(c, `not ready within startup_timeout (${t.toFixed(1)}s)`);
      if (s.phase.kind === "booting") {
        w.note({ event: "boot_failed", generation: c.n, cause });
        w.kill(c);
        w.exit(EXIT.failure);
        return undefined;
      }
      if (c === s.next) {
        s.next = undefined;
        w.note({ event: "reload_failed", cause, oldStopped: false });
      }
      w.stopCopy(c, "abandon");
    } else if (st.kind === "stopping" && now >= st.deadline) {
      w.note({
        event: "copy_force_stop",
        copy: c.n,
        pid: c.run?.pid,
        setting: st.setting,
        timeoutSeconds: st.timeoutSeconds,
      });
      w.kill(c);
    }
  }
  const phase = s.phase;
  if (phase.kind === "stopping") {
    if (s.live.size === 0 || (phase.giveUpAt !== undefined && now >= phase.giveUpAt)) {
      if (s.live.size === 0 && !phase.forced) w.note({ event: "wrap_stopped" });
      w.exit(phase.forced ? EXIT.failure : EXIT.ok);
      return undefined;
    }
    return earliest(deadlines(s.live), phase.giveUpAt);
  }
  if (phase.kind !== "running") return deadlines(s.live);
  if (!s.current && !s.next && s.restartAt !== undefined && now >= s.restartAt) {
    s.restartAt = undefined;
    s.next = w.startCopy("restart");
  }
  if (s.pendingReload && !s.next && s.current) {
    s.pendingReload = undefined;
    s.next = w.startCopy("reload");
  }
  const owed = s.completionOwed;
  if (owed && ![...s.live].some((c) => c.n < owed.n)) {
    s.completionOwed = undefined;
    if (s.current === owed) w.note({ event: "wrap_reload_complete", copy: owed.n, pid: owed.run?.pid });
  }
  return earliest(deadlines(s.live), !s.current && !s.next ? s.restartAt : undefined);
}

function deadlines(live: Set<CopyRecord>): number | undefined {
  let at: number | undefined;
  for (const c of live) {
    const st = c.status;
    if (c.killed || (st.kind !== "starting" && st.kind !== "stopping")) continue;
    at = at === undefined ? st.deadline : Math.min(at, st.deadline);
  }
  return at;
}

function earliest(...times: Array<number | undefined>): number | undefined {
  let at: number | undefined;
  for (const t of times) if (t !== undefined && (at === undefined || t < at)) at = t;
  return at;
}
