/** `--report DIR`'s report.md: the verdict as tables, beside latency.svg. */
import type { RunInfo } from "./report-json.ts";
import { ms } from "./report-text.ts";
import { FAILURE_KINDS, type Verdict } from "./verdict.ts";

export function verdictMarkdown(v: Verdict, info: RunInfo): string {
  const L: string[] = [
    `# pounce verify: ${info.entry}${info.next ? ` → ${info.next}` : ""}`,
    "",
    `**${v.ok ? "PASS" : "FAIL"}**${v.ok ? ": no request lost" : `: ${v.problems.join("; ")}`}`,
    "",
    `Runtime ${info.runtime}, ${info.rate} req/s open loop, ${info.reloads} reload(s), then a bad deploy and SIGTERM; ${ms(v.durationMs)} in all.`,
    "",
    `| requests sent | answered | lost | ${FAILURE_KINDS.join(" | ")} |`,
    `|---:|---:|---:|${FAILURE_KINDS.map(() => "---:").join("|")}|`,
    `| ${v.sent} | ${v.answered} | ${v.failed} | ${FAILURE_KINDS.map((k) => v.failures[k]).join(" | ")} |`,
    "",
    ...(v.lostByStep.length ? [`Lost by step: ${v.lostByStep.map((l) => `${l.step} ${l.lost}`).join(", ")}.`, ""] : []),
    `p99 steady: ${ms(v.p99Steady)}`,
    "",
    "| reload | outcome | signal → cut-over | signal → first new response | drain | p99 in the second after |",
    "|---:|---|---:|---:|---:|---:|",
    ...v.reloads.map(
      (r) =>
        `| ${r.number} | ${r.outcome}${r.error ? ` (${r.error})` : ""} | ${ms(r.cutoverMs)} | ${ms(r.firstNewMs)} | ${ms(r.drainMs)} | ${ms(r.p99)} |`,
    ),
    "",
  ];
  if (v.bad) L.push(`Bad deploy (throws at import): ${v.bad.outcome}${v.bad.error ? ` — ${v.bad.error}` : ""}.`, "");
  if (v.shutdown)
    L.push(
      `Shutdown: ${v.shutdown.inFlightAtSignal} request(s) in flight at SIGTERM; pounce exited ${v.shutdown.exitSignal ?? v.shutdown.exitCode ?? "–"} after ${ms(v.shutdown.stopMs)}.`,
      "",
    );
  L.push(`Workers force-stopped: ${v.forceStopped}.`, "", "![latency over time](latency.svg)", "");
  return L.join("\n");
}
