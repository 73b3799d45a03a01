/**
 * The verdict in words, for a terminal: one line per figure, the failures by kind, and the reason
 * for a failing run. `--json` prints verdictJson() instead.
 */
import { FAILURE_KINDS, type Verdict } from "./verdict.ts";

export const ms = (n: number | null): string =>
  n === null ? "–" : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`;

/** Above this, the latency figures measure the client's pool more than the app. */
const CLIENT_WAIT_HINT_MS = 100;

export function verdictText(v: Verdict, label: string): string {
  const L: string[] = [];
  L.push(`pounce verify: ${label}`);
  L.push(
    `  requests   ${v.sent} sent, ${v.answered} answered, ${v.failed} lost${v.unsent ? ` (${v.unsent} more were still waiting for a free connection at SIGTERM: not sent)` : ""}`,
  );
  L.push(`  lost       ${FAILURE_KINDS.map((k) => `${k} ${v.failures[k]}`).join(" · ")}`);
  if (v.lostByStep.length) {
    L.push(`  lost in    ${v.lostByStep.map((l) => `${l.step} ${l.lost}`).join(" · ")}`);
    L.push(
      `  lost as    ${Object.entries(v.lostDetail)
        .map(([seen, n]) => `${seen} ${n}`)
        .join(" · ")}`,
    );
  }
  L.push(
    `  p99        steady ${ms(v.p99Steady)}${v.reloads.map((r) => ` · 1 s after reload ${r.number}: ${ms(r.p99)}`).join("")}`,
  );
  for (const r of v.reloads)
    L.push(
      `  reload ${r.number}   ${r.outcome}: signal → cut-over ${ms(r.cutoverMs)}, → first response from the new code ${ms(r.firstNewMs)}, drain ${ms(r.drainMs)}${r.error ? ` (${r.error})` : ""}`,
    );
  if (v.bad)
    L.push(
      `  bad deploy ${v.bad.outcome === "refused" ? "refused, the previous code kept serving" : v.bad.outcome}${v.bad.error ? ` (${v.bad.error})` : ""}`,
    );
  if (v.shutdown)
    L.push(
      `  shutdown   ${v.shutdown.inFlightAtSignal} request(s) in flight at SIGTERM; exit ${v.shutdown.exitSignal ?? v.shutdown.exitCode ?? "–"} after ${ms(v.shutdown.stopMs)}${v.refusedAfterStop ? `; ${v.refusedAfterStop} fresh connection(s) still opening were refused (not lost: pounce stops listening on SIGTERM)` : ""}`,
    );
  L.push(`  force-stopped workers ${v.forceStopped}`);
  L.push(
    `  client     p99 wait for a free kept-alive connection ${ms(v.clientWaitP99)}${(v.clientWaitP99 ?? 0) > CLIENT_WAIT_HINT_MS ? " — every connection was busy: raise --connections to load the app, not the pool" : ""}`,
  );
  L.push(v.ok ? "PASS: no request lost" : `FAIL: ${v.problems.join("; ")}`);
  return `${L.join("\n")}\n`;
}
