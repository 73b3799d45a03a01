/**
 * The verdict: which requests were lost and why, latency steady vs just after each reload, and what
 * the supervisor reported about each step. Pure: samples and marks in, a verdict out. A run passes
 * when no request was lost, every good reload succeeded, the bad deploy was refused and pounce
 * exited 0 on SIGTERM.
 */
import { p99Where, percentile, type Window } from "./latency.ts";
import type { Sample } from "./load-generator.ts";

export const FAILURE_KINDS = ["reset", "refused", "timeout", "5xx", "wrong-version"] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** One reload verify performed, as the client saw it and the state file reported it. */
export interface ReloadMark {
  number: number;
  /** The deploy number the new code tags its responses with. */
  deploy: number;
  signalAt: number;
  outcome: "complete" | "cut-over" | "failed" | "timeout";
  /** When verify saw the supervisor report the cut-over (wall-clock ms), null if it never did. */
  cutoverAt: number | null;
  cutoverMs: number | null;
  durationMs: number | null;
  error: string | null;
}

export interface BadDeployMark {
  signalAt: number;
  outcome: "refused" | "accepted" | "timeout";
  error: string | null;
}

export interface ShutdownMark {
  signalAt: number;
  exitAt: number | null;
  exitCode: number | null;
  exitSignal: string | null;
  inFlightAtSignal: number;
}

export interface RunMarks {
  startAt: number;
  reloads: ReloadMark[];
  bad: BadDeployMark | null;
  shutdown: ShutdownMark | null;
  /** `worker_force_stop` log lines: workers that did not drain within their timeout. */
  forceStopped: number;
}

/**
 * Why a request counts as lost, or null if it was answered (or never sent). "wrong-version": a
 * response from older code on a connection the client started opening after the supervisor had
 * reported the cut-over to newer code (kept-alive connections opened before may finish on the old).
 */
export function classify(s: Sample, reloads: ReloadMark[], stopAt = Number.POSITIVE_INFINITY): FailureKind | null {
  if (s.error !== null) {
    if (s.error === "unsent" || refusedAfterStop(s, stopAt)) return null;
    if (s.error === "ECONNREFUSED") return "refused";
    if (s.error === "timeout") return "timeout";
    return "reset";
  }
  if (s.status !== null && s.status >= 500) return "5xx";
  if (s.deploy !== null && s.connStart !== null) {
    let expected = 0;
    for (const r of reloads) if (r.cutoverAt !== null && r.cutoverAt <= s.connStart && r.deploy > expected) expected = r.deploy;
    if (s.deploy < expected) return "wrong-version";
  }
  return null;
}

/** The steps in time order, each from its signal on. */
function stepsOf(m: RunMarks): Array<{ step: string; at: number }> {
  const steps = [{ step: "steady", at: Number.NEGATIVE_INFINITY }];
  for (const r of m.reloads) steps.push({ step: `reload ${r.number}`, at: r.signalAt });
  if (m.bad) steps.push({ step: "bad deploy", at: m.bad.signalAt });
  if (m.shutdown) steps.push({ step: "shutdown", at: m.shutdown.signalAt });
  return steps;
}

function stepAt(steps: Array<{ step: string; at: number }>, t: number): string {
  let current = "steady";
  for (const s of steps) if (s.at <= t) current = s.step;
  return current;
}

/**
 * A fresh connection refused once SIGTERM was sent: pounce stops listening on SIGTERM by design, so
 * a connection the client was still opening then is not a lost request (a load balancer must have
 * stopped routing). One that was accepted and then reset is.
 */
export function refusedAfterStop(s: Sample, stopAt: number): boolean {
  return s.fresh && !s.connected && s.error === "ECONNREFUSED" && s.done >= stopAt;
}

export interface ReloadVerdict {
  number: number;
  outcome: ReloadMark["outcome"];
  error: string | null;
  /** Signal to the supervisor reporting the cut-over (state file), ms. */
  cutoverMs: number | null;
  /** Signal to the first response from the new code, as the client saw it, ms. */
  firstNewMs: number | null;
  /** Cut-over to the last old worker exiting, ms. */
  drainMs: number | null;
  /** p99 of the requests scheduled in the second after the signal, ms. */
  p99: number | null;
}

export interface Verdict {
  ok: boolean;
  /** Each reason the run failed, one line each. */
  problems: string[];
  sent: number;
  answered: number;
  unsent: number;
  /** Fresh connections refused after SIGTERM (see refusedAfterStop): not lost. */
  refusedAfterStop: number;
  failed: number;
  failures: Record<FailureKind, number>;
  p99Steady: number | null;
  /** p99 of the wait between a request's scheduled time and its write: the client keeping up (a
   *  long wait means every kept-alive connection was busy — raise --connections — or the client
   *  itself could not keep the rate). */
  clientWaitP99: number | null;
  reloads: ReloadVerdict[];
  bad: BadDeployMark | null;
  /** Lost requests by what the client saw: "fresh ECONNRESET", "kept-alive eof", "fresh 502", … */
  lostDetail: Record<string, number>;
  /** Lost requests by the step in progress when they failed ("steady" before the first signal). */
  lostByStep: Array<{ step: string; lost: number }>;
  shutdown: (ShutdownMark & { stopMs: number | null }) | null;
  forceStopped: number;
  durationMs: number;
}

const WARM_UP_MS = 500;
const AFTER_RELOAD_MS = 1000;

export function verdict(samples: Sample[], marks: RunMarks): Verdict {
  const failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  let unsent = 0;
  let refusedLate = 0;
  let answered = 0;
  const steps = stepsOf(marks);
  const lostIn = new Map<string, number>();
  const lostDetail: Record<string, number> = {};
  const stopAt = marks.shutdown?.signalAt ?? Number.POSITIVE_INFINITY;
  for (const s of samples) {
    if (s.error === "unsent") unsent++;
    if (refusedAfterStop(s, stopAt)) refusedLate++;
    if (s.status !== null) answered++;
    const kind = classify(s, marks.reloads, stopAt);
    if (!kind) continue;
    failures[kind]++;
    const seen = `${s.fresh ? "fresh" : "kept-alive"} ${s.error ?? (kind === "wrong-version" ? `deploy ${s.deploy}` : s.status)}`;
    lostDetail[seen] = (lostDetail[seen] ?? 0) + 1;
    const step = stepAt(steps, s.done);
    lostIn.set(step, (lostIn.get(step) ?? 0) + 1);
  }
  const failed = FAILURE_KINDS.reduce((n, k) => n + failures[k], 0);
  const afterSignals: Window[] = marks.reloads.map((r) => ({ from: r.signalAt, to: r.signalAt + AFTER_RELOAD_MS }));
  if (marks.bad) afterSignals.push({ from: marks.bad.signalAt, to: marks.bad.signalAt + AFTER_RELOAD_MS });
  const steady: Window = { from: marks.startAt + WARM_UP_MS, to: stopAt };
  const reloads = marks.reloads.map((r): ReloadVerdict => {
    const firstNew = samples.reduce<number | null>(
      (first, s) => (s.deploy !== null && s.deploy >= r.deploy && (first === null || s.done < first) ? s.done : first),
      null,
    );
    return {
      number: r.number,
      outcome: r.outcome,
      error: r.error,
      cutoverMs: r.cutoverMs,
      firstNewMs: firstNew === null ? null : Math.max(0, firstNew - r.signalAt),
      drainMs: r.durationMs !== null && r.cutoverMs !== null && r.outcome === "complete" ? r.durationMs - r.cutoverMs : null,
      p99: p99Where(samples, [{ from: r.signalAt, to: r.signalAt + AFTER_RELOAD_MS }]),
    };
  });
  const problems: string[] = [];
  if (failed > 0)
    problems.push(
      `${failed} request(s) lost: ${FAILURE_KINDS.filter((k) => failures[k] > 0)
        .map((k) => `${failures[k]} ${k}`)
        .join(", ")}`,
    );
  for (const r of reloads)
    if (r.outcome !== "complete")
      problems.push(
        `reload ${r.number} ${r.outcome === "timeout" ? "did not finish in time" : r.outcome}${r.error ? `: ${r.error}` : ""}`,
      );
  if (marks.bad && marks.bad.outcome !== "refused")
    problems.push(
      marks.bad.outcome === "accepted"
        ? "the bad deploy (throws at import) was accepted"
        : "the bad deploy got no answer in time",
    );
  if (marks.forceStopped > 0) problems.push(`${marks.forceStopped} worker(s) force-stopped (did not drain in time)`);
  const sh = marks.shutdown;
  if (sh && sh.exitAt === null) problems.push("pounce did not exit after SIGTERM");
  else if (sh && sh.exitCode !== 0) problems.push(`pounce exited with ${sh.exitSignal ?? `code ${sh.exitCode}`} after SIGTERM`);
  const end = sh?.exitAt ?? samples.reduce((t, s) => Math.max(t, s.done), marks.startAt);
  return {
    ok: problems.length === 0,
    problems,
    sent: samples.length - unsent,
    answered,
    unsent,
    refusedAfterStop: refusedLate,
    failed,
    failures,
    p99Steady: p99Where(samples, [steady], afterSignals),
    clientWaitP99: percentile(
      samples.flatMap((s) => (s.sent === null || s.fresh ? [] : [s.sent - s.sched])),
      0.99,
    ),
    reloads,
    bad: marks.bad,
    lostDetail,
    lostByStep: steps.filter((st) => lostIn.has(st.step)).map((st) => ({ step: st.step, lost: lostIn.get(st.step) as number })),
    shutdown: sh ? { ...sh, stopMs: sh.exitAt === null ? null : sh.exitAt - sh.signalAt } : null,
    forceStopped: marks.forceStopped,
    durationMs: end - marks.startAt,
  };
}
