/**
 * The wrapper's event handlers: each changes the state only (a copy ready, a copy gone, a reload or
 * stop asked for); the reconcile step (reconcile.ts) does what follows from the state.
 */
import { constants } from "node:os";
import { EXIT } from "../errors.ts";
import type { Backoff } from "../supervisor/backoff.ts";
import type { OrphanGuard } from "./orphan-guard.ts";
import { describeVia } from "./readiness.ts";
import type { WrapCore } from "./reconcile.ts";
import { type CopyRecord, describeExit, exitStatus, type WrapEvent } from "./state.ts";

/** After a second stop signal, exit this long after the kills even if one is not reaped. */
const FORCED_EXIT_GRACE_MS = 1_000;

/** What the handlers use beyond the reconcile step's view. */
export interface WrapHands extends WrapCore {
  readonly backoff: Backoff;
  readonly guard: OrphanGuard | undefined;
  dispatch(e: WrapEvent): void;
}

export function handle(w: WrapHands, e: WrapEvent): void {
  const s = w.state;
  switch (e.type) {
    case "timer":
      return;
    case "notify-ready": {
      // The starting copy, unless the sender is known to be another copy.
      const from = [...s.live].find((c) => c.run?.pid !== undefined && c.run.pid === e.senderPid);
      const target = from ?? s.next;
      if (target && target === s.next) w.dispatch({ type: "copy-ready", copy: target, via: { kind: "notify" } });
      return;
    }
    case "reload": {
      if (s.phase.kind === "stopping") {
        w.note({ event: "reload_ignored", cause: e.cause });
        return;
      }
      w.note({ event: "reload_requested", cause: e.cause });
      const wasPending = s.pendingReload !== undefined;
      s.pendingReload = e.cause;
      if (!wasPending && s.next)
        w.note({ event: "reload_queued", wait: s.phase.kind === "booting" ? "boot" : "rollout", waitMs: 0 });
      return;
    }
    case "stop": {
      if (s.phase.kind === "stopping") {
        w.note({ event: "shutdown_forced", signal: e.signal });
        s.phase.forced = true;
        s.phase.giveUpAt = w.now() + FORCED_EXIT_GRACE_MS;
        for (const c of s.live) w.kill(c);
        return;
      }
      w.note({ event: "shutdown_requested", signal: e.signal });
      s.pendingReload = undefined;
      s.phase = { kind: "stopping", forced: false };
      for (const c of s.live) w.stopCopy(c, "shutdown");
      return;
    }
    case "copy-ready": {
      const c = e.copy;
      if (c.status.kind !== "starting") return;
      c.status = { kind: "ready" };
      c.stopReadiness?.();
      w.note({ event: "copy_ready", copy: c.n, pid: c.run?.pid, via: describeVia(e.via) });
      if (s.phase.kind === "stopping") {
        w.stopCopy(c, "shutdown");
        return;
      }
      if (c !== s.next) return;
      const old = s.current;
      s.current = c;
      s.next = undefined;
      if (s.phase.kind === "booting") {
        s.phase = { kind: "running" };
        w.note({ event: "wrap_ready", copy: c.n, pid: c.run?.pid });
      } else if (old) {
        w.stopCopy(old, "reload");
        s.completionOwed = c;
      }
      return;
    }
    case "copy-exit":
      onExit(w, e.copy, e.code, e.signal, e.failure);
      return;
  }
}

function onExit(w: WrapHands, c: CopyRecord, code: number | null, signal: string | null, failure?: string): void {
  const s = w.state;
  const was = c.status;
  if (was.kind === "exited") return;
  c.status = { kind: "exited" };
  c.stopReadiness?.();
  s.live.delete(c);
  if (c.run?.pid !== undefined) w.guard?.remove(c.run.pid);
  const how = failure ? `could not start: ${failure}` : describeExit(code, signal);
  const pid = c.run?.pid;
  if (s.phase.kind === "stopping" || was.kind === "stopping") {
    w.note({ event: "copy_exited", copy: c.n, pid, how });
    if (s.next === c) s.next = undefined;
    if (s.current === c) s.current = undefined;
    return;
  }
  if (s.phase.kind === "booting") {
    w.note({ event: "boot_failed", generation: c.n, cause: w.failure(c, `exited during start-up (${how})`) });
    w.exit(w.config.restart ? EXIT.failure : exitStatus(code, signal, constants.signals));
    return;
  }
  if (c === s.next) {
    s.next = undefined;
    if (c.purpose === "reload") {
      w.note({ event: "reload_failed", cause: w.failure(c, `exited during start-up (${how})`), oldStopped: false });
      return;
    }
    // A restart that did not come up counts as one more crash.
    w.note({ event: "copy_died", copy: c.n, pid, how: `during start-up, ${how}`, output: c.run?.tail() ?? [] });
    crashed(w, c, code, signal);
    return;
  }
  if (c === s.current) {
    s.current = undefined;
    w.note({ event: "copy_died", copy: c.n, pid, how, output: c.run?.tail() ?? [] });
    if (!s.next) crashed(w, c, code, signal);
  }
}

function crashed(w: WrapHands, c: CopyRecord, code: number | null, signal: string | null): void {
  if (!w.config.restart) {
    const status = exitStatus(code, signal, constants.signals);
    w.note({ event: "wrap_exit_with_copy", copy: c.n, code: status });
    for (const other of w.state.live) w.stopCopy(other, "shutdown");
    w.exit(status);
    return;
  }
  const now = w.now();
  const delay = w.backoff.next(now);
  if (delay > 0) w.note({ event: "copy_restart_backoff", delayMs: delay });
  w.state.restartAt = now + delay;
}
