/**
 * `pounce verify <entry> [options]`: rehearse a deploy of the app before it ships (src/verify/):
 * start it under pounce, load it, reload it, deploy a module that throws, stop it, and say whether
 * any request was lost. Exit 0 when none was, 1 otherwise.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isCI, runtime } from "std-env";
import { EXIT } from "../errors.ts";
import { parseVerifyArgs, SET_BY_VERIFY, VERIFY_FLAGS } from "../verify/options.ts";
import { Progress } from "../verify/progress.ts";
import { type RunInfo, verdictJson } from "../verify/report-json.ts";
import { verdictMarkdown } from "../verify/report-markdown.ts";
import { latencySvg } from "../verify/report-svg.ts";
import { verdictText } from "../verify/report-text.ts";
import { runScenario } from "../verify/scenario.ts";
import { verdict } from "../verify/verdict.ts";
import type { CommandSpec } from "./help.ts";
import { serveFlags } from "./help.ts";

export const verifyCommand: CommandSpec = {
  name: "verify",
  summary: "Rehearse a deploy: load the app, reload it, deploy a broken module, stop it; exit 1 if a request was lost",
  usage: "pounce verify <entry>[:export] [verify options] [serve options]",
  flags: [...VERIFY_FLAGS, ...serveFlags().filter((f) => !SET_BY_VERIFY.includes(f.flag))],
  details: [
    "Starts the app under pounce on a free port (the serve options apply), sends --rate requests a second",
    "open loop (latency from each request's scheduled time), performs --reloads reloads, deploys a module",
    "that throws at import (it must be refused while the old code serves), then sends SIGTERM with requests",
    "in flight. Lost = reset, refused, timeout, 5xx, or wrong version (older code answering on a connection",
    "opened after the cut-over was reported). Exit 0 when nothing was lost, 1 otherwise.",
  ],
  examples: [
    "pounce verify app.ts --json                       # in CI: exit 1 if a deploy would lose a request",
    "pounce verify app.ts --next app-v2.ts --workers 4 --rate 500 --report verify-report",
  ],
  run: verifyRun,
};

async function verifyRun(args: string[]): Promise<void> {
  const o = await parseVerifyArgs(args, process.env);
  // No progress line in CI even where the runner gives a terminal (std-env knows the CI providers).
  const progress = new Progress(isCI ? { isTTY: false, write: () => true } : process.stderr, o.reloads + 3);
  const run = await runScenario(o, (s, load) => progress.step(s, load));
  progress.end();
  const v = verdict(run.samples, run.marks);
  if (run.bootError) {
    v.ok = false;
    v.problems.unshift(`the app did not start: ${run.bootError}`);
  }
  const info: RunInfo = {
    entry: o.app.spec,
    next: o.next?.spec ?? null,
    runtime: runtime || "unknown",
    rate: o.rate,
    reloads: o.reloads,
    ...(run.bootError ? { bootError: run.bootError } : {}),
  };
  if (o.reportDir) {
    mkdirSync(o.reportDir, { recursive: true });
    writeFileSync(
      join(o.reportDir, "latency.svg"),
      latencySvg(run.samples, run.marks, `pounce verify ${info.entry} (${info.runtime})`),
    );
    writeFileSync(join(o.reportDir, "report.md"), verdictMarkdown(v, info));
  }
  const label = `${info.entry}${info.next ? ` → ${info.next}` : ""} on ${info.runtime}`;
  process.stdout.write(
    o.json
      ? verdictJson(v, info)
      : run.bootError
        ? `pounce verify: ${label}\nFAIL: ${v.problems.join("; ")}\n`
        : verdictText(v, label),
  );
  if (!v.ok && !o.json && run.bootError) for (const l of run.other.slice(-5)) process.stderr.write(`  ${l}\n`);
  process.exitCode = v.ok ? EXIT.ok : EXIT.failure;
}
