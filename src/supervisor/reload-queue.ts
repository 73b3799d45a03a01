/**
 * When an asked-for reload may start. At most one generation starts at a time, and a reload starts
 * no sooner than RELOAD_COOLDOWN_MS after the previous one started: a storm of signals yields one or
 * two reloads, and the newest request is kept, never lost. Where the configuration can change (a
 * config file, a symlinked release), it is read once the reload could start, and the reload starts
 * when that read is back; a request that arrives during the read makes it stale (read again).
 */
import type { LoadedConfig } from "../config-source.ts";
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
  q.requests++;
  q.prepared = undefined;
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
  if (core.readReloadConfig) {
    if (!q.prepared) {
      if (q.reading === undefined) {
        q.reading = q.requests;
        core.readReloadConfig(q.requests);
      }
      return undefined;
    }
    core.useConfig(q.prepared);
    q.prepared = undefined;
  }
  const cause = q.pending;
  q.pending = undefined;
  return cause;
}

/**
 * A configuration read came back. Stale (a newer request came meanwhile, or a stop): dropped, and the
 * next reconcile reads again if a reload is still pending. Failed: the pending reload is refused
 * (the note says why). Else the reload may start with it.
 */
export function configRead(core: Core, ticket: number, result: LoadedConfig | { error: string }): Note | undefined {
  const q = core.state.reloads;
  if (q.reading === ticket) q.reading = undefined;
  if (!q.pending || ticket !== q.requests) return undefined;
  if ("error" in result) {
    q.pending = undefined;
    return { event: "reload_failed", cause: result.error, oldStopped: false };
  }
  q.prepared = result;
  return undefined;
}

/** When a pending reload waits only on the cooldown: when it ends (for the alarm). */
export function nextReloadAt(core: Core, run: Running): number | undefined {
  const q = core.state.reloads;
  if (!q.pending || run.rollout || q.reading !== undefined) return undefined;
  return q.lastStartAt + RELOAD_COOLDOWN_MS;
}
