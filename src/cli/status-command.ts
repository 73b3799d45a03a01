/**
 * `pounce status`: what a running server is doing, from its state file: generation, workers,
 * uptime and the last reload. `--json` prints the state file's layout (README, "Control commands")
 * plus `uptime_seconds`. Exit 0 when running; 3 when not running (no pid file), as init scripts'
 * `status` does; 1 for a stale or foreign pid file.
 */
import { parseControlArgs, TARGET_FLAGS } from "../control/args.ts";
import { statusText, uptimeSeconds } from "../control/status-text.ts";
import { findTarget } from "../control/target.ts";
import { errors, PounceError } from "../errors.ts";
import type { CommandSpec } from "./help.ts";

export const statusCommand: CommandSpec = {
  name: "status",
  summary: "Show a running server's generation, workers, uptime and last reload",
  usage: "pounce status --pid-file <file> [--json]",
  flags: [...TARGET_FLAGS, { flag: "json", kind: "boolean", description: "One JSON object (layout in the README)" }],
  details: ["Exit 0 when the server runs; 3 when it is not running; 1 for a stale or foreign pid file."],
  examples: ["pounce status --pid-file /run/app/pounce.pid", "pounce status --pid-file pounce.pid --json | jq .generation"],
  run: status,
};

const NOT_RUNNING = 3;

async function status(args: string[]): Promise<void> {
  const { target: spec, flags } = parseControlArgs("status", args, statusCommand.flags, process.env);
  let target: ReturnType<typeof findTarget>;
  try {
    target = findTarget(spec);
  } catch (err) {
    if (err instanceof PounceError && err.code === "E_NOT_RUNNING") {
      process.stderr.write(`${err.message}\n`);
      process.exit(NOT_RUNNING);
    }
    throw err;
  }
  const state = target.state;
  if (!state)
    throw errors.noState(target.pid, target.statePath ? `${target.statePath} is missing` : "started without --pid-file");
  if (flags.json === true)
    process.stdout.write(`${JSON.stringify({ ...state, uptime_seconds: uptimeSeconds(state) }, null, 2)}\n`);
  else process.stdout.write(statusText(state));
}
