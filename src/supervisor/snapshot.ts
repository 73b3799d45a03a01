/** What is running now, as plain data: for tests, and for the state file `pounce status` reads. */
import { allLive, type SupervisorState } from "./state.ts";

export interface Snapshot {
  phase: SupervisorState["phase"]["kind"];
  active?: number;
  rollout?: string;
  pendingReload: boolean;
  generations: number[];
  workers: Array<{
    id: number;
    pid?: number;
    generation: number;
    mode: "serve" | "check";
    status: string;
    /** As last reported (once ready, at most once a second). */
    inFlight?: number;
    fatal: boolean;
  }>;
  /** Warm workers (--warm-workers): pre-started, not serving. */
  warm?: Array<{ pid?: number; status: "starting" | "waiting" }>;
}

export function snapshotOf(state: SupervisorState): Snapshot {
  const p = state.phase;
  return {
    phase: p.kind,
    active: p.kind === "running" ? p.active?.n : undefined,
    rollout: p.kind === "running" ? p.rollout?.kind : undefined,
    pendingReload: state.reloads.pending !== undefined,
    generations: [...state.generations].map((g) => g.n),
    workers: allLive(state).map((w) => ({
      id: w.id,
      pid: w.handle?.pid,
      generation: w.generation.n,
      mode: w.mode,
      status: w.status.kind,
      inFlight: w.inFlight,
      fatal: w.fatal !== undefined,
    })),
    warm: [...state.warm.workers].filter((w) => !w.killed).map((w) => ({ pid: w.handle?.pid, status: w.status })),
  };
}
