/** Run a pounce command to completion (bounded), without blocking the event loop. */
import { spawn } from "node:child_process";
import type { Runtime } from "./_runtimes.ts";

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When it exited (Date.now()). */
  endedAt: number;
}

export function runPounce(
  rt: Runtime,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; onStdout?: (text: string) => void } = {},
): Promise<Ran> {
  const argv = rt.argv(args);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      opts.onStdout?.(stdout);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, endedAt: Date.now() });
    });
  });
}
