/**
 * `pounce reload`: send the supervisor SIGHUP and wait for the outcome in its state file. Exit 0
 * once every new connection goes to the new generation (old workers may still be draining), or
 * with --wait-drained once "Graceful reload complete"; exit 1 with the reason when the reload failed.
 */
import { parseControlArgs, TARGET_FLAGS, TIMEOUT_FLAG } from "../control/args.ts";
import { sameProcess } from "../control/proc.ts";
import type { ReloadEntry } from "../control/state.ts";
import { findTarget } from "../control/target.ts";
import { waitForState } from "../control/wait.ts";
import { errors, type PounceError } from "../errors.ts";
import type { CommandSpec } from "./help.ts";

export const reloadCommand: CommandSpec = {
  name: "reload",
  summary: "Reload a running server (SIGHUP) and wait until the new code serves",
  usage: "pounce reload --pid-file <file> [--wait-drained] [--timeout s]",
  flags: [
    ...TARGET_FLAGS,
    {
      flag: "wait-drained",
      kind: "boolean",
      description: 'Wait until the old workers have exited too ("Graceful reload complete")',
    },
    TIMEOUT_FLAG,
  ],
  details: [
    "Exit 0 once every new connection is served by the new generation; 1 with the reason when the",
    "reload failed (the previous generation keeps serving), the server stopped, or --timeout passed.",
  ],
  examples: ["pounce reload --pid-file /run/app/pounce.pid", "pounce reload --pid 4242 --wait-drained --timeout 120"],
  run: reload,
};

type Outcome = { ok: ReloadEntry } | { fail: PounceError };

async function reload(args: string[]): Promise<void> {
  const { target: spec, flags, timeoutMs } = parseControlArgs("reload", args, reloadCommand.flags, process.env);
  const waitDrained = flags["wait-drained"] === true;
  const target = findTarget(spec);
  const { pid, state } = target;
  if (!state) throw errors.noState(pid, target.statePath ? `${target.statePath} is missing` : "started without --pid-file");
  if (state.phase === "stopping" || state.phase === "exited") throw errors.shuttingDown(pid);
  // Our request is the next one the supervisor hears; the reload that covers it is ours.
  const ours = state.reloads_requested + 1;
  const startTime = state.start_time;
  process.kill(pid, "SIGHUP");
  const outcome = await waitForState<Outcome>(target.statePath, timeoutMs, (s) => {
    if (!s || s.pid !== pid)
      return sameProcess(pid, startTime) ? undefined : { fail: errors.serverGone(pid, "during the reload") };
    if (s.phase === "exited") return { fail: errors.serverGone(pid, "during the reload") };
    if (s.phase === "stopping") return { fail: errors.shuttingDown(pid) };
    const r = s.last_reload;
    if (!r || r.covers < ours)
      return sameProcess(pid, startTime) ? undefined : { fail: errors.serverGone(pid, "during the reload") };
    if (r.outcome === "failed") return { fail: errors.reloadFailed(r.error ?? "unknown cause", s.generation) };
    if (r.outcome === "complete" || (r.outcome === "cut-over" && !waitDrained)) return { ok: r };
    return undefined;
  });
  if (!outcome)
    throw errors.controlTimeout(
      waitDrained ? "the reload did not complete" : "the new generation did not take over",
      timeoutMs / 1000,
      `see pounce status --pid ${pid}`,
    );
  if ("fail" in outcome) throw outcome.fail;
  const r = outcome.ok;
  const ms = (n: number | null) => (n === null ? "?" : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);
  process.stdout.write(
    waitDrained
      ? `Reloaded: generation ${r.generation} serving, old workers drained (${ms(r.duration_ms)})\n`
      : `Reloaded: generation ${r.generation} serves every new connection (${ms(r.cutover_ms)})\n`,
  );
}
