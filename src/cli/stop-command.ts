/**
 * `pounce stop`: send the supervisor SIGTERM (a graceful shutdown) and wait until it has exited.
 * A server already shutting down is not signalled again (a second SIGTERM would cut its shutdown
 * short); the command just waits.
 */
import { parseControlArgs, TARGET_FLAGS, TIMEOUT_FLAG } from "../control/args.ts";
import { processStartTime, sameProcess } from "../control/proc.ts";
import { readState, type ServerState } from "../control/state.ts";
import { findTarget } from "../control/target.ts";
import { waitForState } from "../control/wait.ts";
import { errors, PounceError } from "../errors.ts";
import type { CommandSpec } from "./help.ts";

/** Once the state file says "exited", how often to look for the process to be gone. */
const GONE_POLL_MS = 10;

export const stopCommand: CommandSpec = {
  name: "stop",
  summary: "Stop a running server gracefully (SIGTERM) and wait until it has exited",
  usage: "pounce stop --pid-file <file> [--timeout s]",
  flags: [...TARGET_FLAGS, TIMEOUT_FLAG],
  details: [
    "In-flight requests finish first (up to the server's --shutdown-timeout). Exit 0 once the server",
    "has exited (with code 0); 1 if it exited with another code or is still running at --timeout.",
  ],
  examples: ["pounce stop --pid-file /run/app/pounce.pid", "pounce stop --pid 4242 --timeout 30"],
  run: stop,
};

async function stop(args: string[]): Promise<void> {
  const { target: spec, timeoutMs } = parseControlArgs("stop", args, stopCommand.flags, process.env);
  const target = findTarget(spec);
  const { pid, state } = target;
  const startTime = state?.start_time ?? processStartTime(pid) ?? null;
  if (state?.phase === "stopping") process.stdout.write(`pounce (pid ${pid}) is already shutting down — waiting\n`);
  else process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  const codeIn = (s: ServerState | undefined) => (s?.pid === pid ? s.exit_code : null);
  const seen = await waitForState(target.statePath, timeoutMs, (s) => {
    // The state was read before this look: a server that wrote its exit and ended in between
    // would pass for one that never wrote it, so a gone process gets one more read.
    if (!sameProcess(pid, startTime)) return { code: codeIn(target.statePath ? readState(target.statePath) : s), gone: true };
    if (s?.pid === pid && s.phase === "exited") return { code: codeIn(s), gone: false };
    return undefined;
  });
  // The last write comes just before the process ends: wait for the end itself (bounded).
  let gone = seen?.gone === true;
  while (seen && !gone && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, GONE_POLL_MS));
    gone = !sameProcess(pid, startTime);
  }
  if (!seen || !gone) throw errors.controlTimeout(`pounce (pid ${pid}) did not exit`, timeoutMs / 1000, "still shutting down");
  if (seen.code !== null && seen.code !== 0)
    throw new PounceError("E_SERVER_GONE", `pounce (pid ${pid}) exited with code ${seen.code}`);
  process.stdout.write(`Stopped pounce (pid ${pid})\n`);
}
