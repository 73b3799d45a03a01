/**
 * Logging: one record per line, text or JSON, written with a single write so lines from several
 * workers never interleave. Workers forward their records to the supervisor, which writes them.
 */
import type { LogFormat, LogLevel } from "./config.ts";

export interface LogRecord {
  level: LogLevel;
  msg: string;
  /** Stable machine name of the event, e.g. "reload_complete"; tests and log shippers key on it. */
  event?: string;
  worker?: number;
  generation?: number;
  [field: string]: unknown;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where records go: formatted to a stream, or forwarded whole to the supervisor. */
export type Emit = (record: LogRecord) => void;

/** An Emit that formats each record and writes it with one call. */
export function lineSink(format: LogFormat, write: (line: string) => void): Emit {
  return (record) => write(formatRecord(record, format));
}

export class Logger {
  /** Settable: a reload may bring a new log level. */
  level: LogLevel;
  emit: Emit;
  readonly #base: Record<string, unknown>;

  constructor(opts: { level: LogLevel; emit: Emit; base?: Record<string, unknown> }) {
    this.level = opts.level;
    this.emit = opts.emit;
    this.#base = opts.base ?? {};
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  write(record: LogRecord): void {
    if (!this.enabled(record.level)) return;
    this.emit({ ...this.#base, ...record });
  }

  debug(msg: string, fields?: Omit<LogRecord, "level" | "msg">): void {
    this.write({ ...fields, level: "debug", msg });
  }
  info(msg: string, fields?: Omit<LogRecord, "level" | "msg">): void {
    this.write({ ...fields, level: "info", msg });
  }
  warn(msg: string, fields?: Omit<LogRecord, "level" | "msg">): void {
    this.write({ ...fields, level: "warn", msg });
  }
  error(msg: string, fields?: Omit<LogRecord, "level" | "msg">): void {
    this.write({ ...fields, level: "error", msg });
  }
}

export function formatRecord(record: LogRecord, format: LogFormat): string {
  const time = new Date().toISOString();
  if (format === "json") {
    const { level, msg, ...rest } = record;
    return `${JSON.stringify({ time, level, msg, ...rest })}\n`;
  }
  const { level, msg, stack } = record;
  const tail = typeof stack === "string" && stack ? `\n${stack}` : "";
  return `[${time.replace("T", " ").replace("Z", "")}] [${level.toUpperCase()}] ${msg}${tail}\n`;
}
