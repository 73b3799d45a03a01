/**
 * With `--log-format json`, what the app itself prints (`console.log` in a handler, a library's
 * warning on stderr, the runtime's own notices) becomes one JSON record per line, with the worker,
 * its generation and the stream — so a log collector reads one format, never raw text between
 * pounce's records. In text mode workers write to the supervisor's stdout/stderr directly.
 *
 * Lines are cut at MAX_LINE bytes' worth of characters so one endless line cannot grow memory; a
 * last line without a newline is flushed when the worker exits.
 */
import type { LogRecord } from "../log.ts";

export type OutputStream = "stdout" | "stderr";

const MAX_LINE = 64 * 1024;

export interface AppOutput {
  chunk(stream: OutputStream, bytes: Uint8Array): void;
  /** The worker is gone: flush what is left of an unfinished line. */
  end(): void;
}

export function appOutput(emit: (record: LogRecord) => void, worker: number, generation: number): AppOutput {
  const pending: Record<OutputStream, { decoder: TextDecoder; text: string }> = {
    stdout: { decoder: new TextDecoder(), text: "" },
    stderr: { decoder: new TextDecoder(), text: "" },
  };
  const line = (stream: OutputStream, msg: string) =>
    emit({ level: stream === "stderr" ? "warn" : "info", msg, event: "app_output", worker, generation, stream });
  return {
    chunk(stream, bytes) {
      const p = pending[stream];
      p.text += p.decoder.decode(bytes, { stream: true });
      let nl = p.text.indexOf("\n");
      while (nl >= 0) {
        line(stream, p.text.slice(0, nl).replace(/\r$/, ""));
        p.text = p.text.slice(nl + 1);
        nl = p.text.indexOf("\n");
      }
      while (p.text.length > MAX_LINE) {
        line(stream, p.text.slice(0, MAX_LINE));
        p.text = p.text.slice(MAX_LINE);
      }
    },
    end() {
      for (const stream of ["stdout", "stderr"] as const) {
        const p = pending[stream];
        const rest = p.text + p.decoder.decode();
        p.text = "";
        if (rest !== "") line(stream, rest);
      }
    },
  };
}
