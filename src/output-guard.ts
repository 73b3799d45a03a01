/**
 * A log that cannot be written must never stop serving: stdout/stderr closed by their reader (a
 * pipe whose reader exited: EPIPE), a full disk under a redirected log (ENOSPC, /dev/full), a
 * terminal gone (EIO). The supervisor and every worker call `guardOutput()` first: a failed write
 * of a log line (or of the app's own console output) is dropped — not thrown, not an uncaught
 * stream error that would end the process (or, in a worker, be reported as a fatal error and
 * recycle it forever).
 */
import process from "node:process";

type Writable = { on?(event: "error", fn: (err: unknown) => void): unknown; write(chunk: string): unknown };

let guarded = false;

export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr] as unknown as Writable[]) {
    // An error on the stream itself (asynchronous EPIPE): dropped with the line it was writing.
    stream.on?.("error", () => {});
    // A write that throws at once (some runtimes, a closed fd): dropped the same way.
    const write = stream.write.bind(stream) as (...args: unknown[]) => unknown;
    stream.write = ((...args: unknown[]) => {
      try {
        return write(...args);
      } catch {
        return false;
      }
    }) as Writable["write"];
  }
}
