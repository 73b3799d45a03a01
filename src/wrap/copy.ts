/**
 * One copy of the wrapped command: a child process in its own process group (so a force-stop can
 * take its whole tree, and a terminal's Ctrl-C reaches only the wrapper, which forwards one SIGTERM),
 * its stdout and stderr read line by line, the last lines kept for a failure message.
 * With a listening socket it gets it as fd 3 with LISTEN_FDS=1 and LISTEN_PID set to its own pid:
 * the pid is not known before the spawn, so a shell sets it from `$$` and then execs the command,
 * which keeps that pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { describe } from "../errors.ts";

export interface CopySpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** The held listening socket, handed over as fd 3. */
  listenFd?: number;
}

export interface CopyEvents {
  line(stream: "stdout" | "stderr", text: string): void;
  /** Once, after the output it wrote before it went has been read (or shortly after, if something it
   *  left running still holds its pipes). `failure`: it could not be started at all. */
  exit(code: number | null, signal: string | null, failure?: string): void;
}

export interface RunningCopy {
  readonly pid: number | undefined;
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL to the copy's whole process group. */
  killGroup(): void;
  /** Its last lines of output, oldest first. */
  tail(): string[];
}

const TAIL_LINES = 10;
const TAIL_LINE_CHARS = 300;
/** How long after the exit the rest of its output may still arrive. */
const OUTPUT_GRACE_MS = 200;

export function startCopy(spec: CopySpec, events: CopyEvents): RunningCopy {
  const [cmd, ...args] = spec.command as [string, ...string[]];
  const viaShell = spec.listenFd !== undefined;
  const env = { ...spec.env };
  if (viaShell) env.LISTEN_FDS = "1";
  const stdio: Array<"ignore" | "pipe" | number> = ["ignore", "pipe", "pipe"];
  if (spec.listenFd !== undefined) stdio.push(spec.listenFd);
  const tail: string[] = [];
  let child: ChildProcess;
  let done = false;
  const finish = (code: number | null, signal: string | null, failure?: string) => {
    if (done) return;
    done = true;
    events.exit(code, signal, failure);
  };
  try {
    child = viaShell
      ? spawn("/bin/sh", ["-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', "pounce-wrap", cmd, ...args], {
          cwd: spec.cwd,
          env,
          stdio,
          detached: true,
        })
      : spawn(cmd, args, { cwd: spec.cwd, env, stdio, detached: true });
  } catch (err) {
    queueMicrotask(() => finish(null, null, describe(err)));
    return { pid: undefined, signal() {}, killGroup() {}, tail: () => [] };
  }
  const pid = child.pid;
  for (const stream of ["stdout", "stderr"] as const) {
    let partial = "";
    const source = child[stream];
    source?.setEncoding("utf8");
    source?.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const text of parts) emit(stream, text);
    });
    source?.on("end", () => {
      if (partial) emit(stream, partial);
      partial = "";
    });
  }
  function emit(stream: "stdout" | "stderr", text: string) {
    tail.push(text.length > TAIL_LINE_CHARS ? `${text.slice(0, TAIL_LINE_CHARS)}…` : text);
    if (tail.length > TAIL_LINES) tail.shift();
    events.line(stream, text);
  }
  let spawnError: string | undefined;
  child.on("error", (err) => {
    spawnError = describe(err);
    if (pid === undefined) finish(null, null, spawnError);
  });
  child.on("exit", (code, signal) => {
    // Whatever it left in its group goes with it.
    killGroup(pid);
    const timer = setTimeout(() => finish(code, signal, spawnError), OUTPUT_GRACE_MS);
    child.once("close", () => {
      clearTimeout(timer);
      finish(code, signal, spawnError);
    });
  });
  return {
    pid,
    signal(sig) {
      try {
        if (pid !== undefined) process.kill(pid, sig);
      } catch {
        // gone already; its exit follows
      }
    },
    killGroup: () => killGroup(pid),
    tail: () => [...tail],
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // no such group left
  }
}
