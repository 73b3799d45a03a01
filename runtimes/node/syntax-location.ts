/**
 * Node keeps the location of an ES module's syntax error out of the error it rejects `import()`
 * with (no file, no line: `SyntaxError: Unexpected token ')'`); it only prints it — `file:///x.mjs:3`,
 * the line, a caret — when such an error goes uncaught. So on that one failure, ask a throw-away Node
 * for its own report: it imports the same entry, fails to parse the same file (ES modules are all
 * parsed before any of them runs, so none of the app's code runs), and prints the located error.
 * The core reads that text (src/worker/import-error.ts).
 *
 * jiti (TypeScript on Node 20) does name the place, as `ParseError: … \n /app.ts:3:14`, but with
 * Babel's 0-based column; every other runtime counts columns from 1, as editors do.
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

const LOCATED = /^(?:file:\/\/)?\/.*:\d+\n/;

export function withSyntaxLocation(err: unknown, file: string): unknown {
  if (!(err instanceof SyntaxError) || LOCATED.test(String(err.stack))) return err;
  const env = { ...process.env };
  delete env.NODE_UNIQUE_ID; // not a cluster worker
  delete env.POUNCE_WORKER_SPEC;
  const run = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", "await import(process.argv[1])", pathToFileURL(file).href],
    {
      env,
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 5_000,
      killSignal: "SIGKILL",
    },
  );
  const report = run.stderr ?? "";
  if (!LOCATED.test(report)) return err;
  const located = new SyntaxError(err.message);
  const frames = report.indexOf("\n    at ");
  located.stack = frames < 0 ? report : report.slice(0, frames);
  return located;
}

/** jiti's `ParseError: reason \n /file:line:col` with the column counted from 1. */
export function withJitiColumn(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const m = /^(\w*Error: [^\n]*\n\s*\S+:\d+:)(\d+)\s*$/.exec(err.message);
  if (!m) return err;
  err.message = `${m[1]}${Number(m[2]) + 1}`;
  return err;
}
