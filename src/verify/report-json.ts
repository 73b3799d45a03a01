/** `--json`: the verdict as one JSON document on stdout, for CI to parse (times in milliseconds). */
import type { Verdict } from "./verdict.ts";

export interface RunInfo {
  entry: string;
  next: string | null;
  runtime: string;
  rate: number;
  reloads: number;
  /** Error raised before any load ran (the app never became ready). */
  bootError?: string;
}

export function verdictJson(v: Verdict, info: RunInfo): string {
  return `${JSON.stringify({ ...info, ...v }, null, 2)}\n`;
}
