/**
 * A worker's piped stdout/stderr (JSON logs only, see src/supervisor/app-output.ts): every chunk
 * to the link's `output`, and each stream's end to `outputEnded`, so the exit is reported after
 * the last line. Node streams (node:cluster, Deno's node:child_process) and web streams (Bun.spawn).
 */
import type { WorkerLink } from "./worker-link.ts";

interface NodeReadable {
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  on(event: "error", fn: (err: unknown) => void): unknown;
}

type Stream = "stdout" | "stderr";

/** Call `attach` for each stream that is there; one that is absent counts as ended at once. */
function eachStream<S>(
  stdout: unknown,
  stderr: unknown,
  link: WorkerLink,
  present: (s: unknown) => s is S,
  attach: (name: Stream, stream: S, output: NonNullable<WorkerLink["output"]>) => void,
): void {
  const output = link.output;
  if (!output) return;
  for (const [name, stream] of [
    ["stdout", stdout],
    ["stderr", stderr],
  ] as const) {
    if (present(stream)) attach(name, stream, output);
    else link.outputEnded();
  }
}

export function pipeOutput(
  stdout: NodeReadable | null | undefined,
  stderr: NodeReadable | null | undefined,
  link: WorkerLink,
): void {
  eachStream(
    stdout,
    stderr,
    link,
    (s): s is NodeReadable => s != null,
    (name, stream, output) => {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        link.outputEnded();
      };
      stream.on("data", (chunk) => output(name, chunk));
      stream.on("end", end);
      stream.on("close", end);
      stream.on("error", end);
    },
  );
}

export function pipeWebOutput(stdout: unknown, stderr: unknown, link: WorkerLink): void {
  const isWeb = (s: unknown): s is ReadableStream<Uint8Array> => s instanceof ReadableStream;
  eachStream(stdout, stderr, link, isWeb, (name, stream, output) => {
    void (async () => {
      try {
        const reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          output(name, value);
        }
      } catch {
        // the pipe broke: nothing more to read
      }
      link.outputEnded();
    })();
  });
}
