/**
 * When an asked-for reload may start. At most one generation starts at a time, and a reload starts
 * no sooner than RELOAD_COOLDOWN_MS after the previous one started: a storm of signals yields one or
 * two reloads, and the newest request is kept, never lost.
 */
import type { Core } from "./core.ts";
import type { ReloadCause } from "./events.ts";
import type { Note } from "./notes.ts";
import type { Running } from "./state.ts";

export const RELOAD_COOLDOWN_MS = 1_000;

/** Remember a reload; the note says what it waits for, the first time it has to wait. */
export function requestReload(core: Core, cause: ReloadCause): Note | undefined {
  const q = core.state.reloads;
  const wasPending = q.pending !== undefined;
  q.pending = cause;
  if (wasPending) return undefined;
  const phase = core.state.phase;
  if (phase.kind === "booting") return { event: "reload_queued", wait: "boot", waitMs: 0 };
  if (phase.kind === "running" && phase.rollout) return { event: "reload_queued", wait: "rollout", waitMs: 0 };
  const waitMs = cooldownLeft(core);
  return waitMs > 0 ? { event: "reload_queued", wait: "cooldown", waitMs } : undefined;
}

function cooldownLeft(core: Core): number {
  return core.state.reloads.lastStartAt + RELOAD_COOLDOWN_MS - core.now();
}

/** The pending reload, taken off the queue, if it may start now. */
export function takeStartableReload(core: Core, run: Running): ReloadCause | undefined {
  const q = core.state.reloads;
  if (!q.pending || run.rollout || cooldownLeft(core) > 0) return undefined;
  const cause = q.pending;
  q.pending = undefined;
  return cause;
}

/** When a pending reload waits only on the cooldown: when it ends (for the alarm). */
export function nextReloadAt(core: Core, run: Running): number | undefined {
  const q = core.state.reloads;
  if (!q.pending || run.rollout) return undefined;
  return q.lastStartAt + RELOAD_COOLDOWN_MS;
}
