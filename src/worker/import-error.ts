/**
 * Where an app failed to import — file, line, column — and the runtime's one-line reason, read from
 * whatever shape the runtime gives its error, so the operator sees `app.ts:4:12: SyntaxError: …`
 * instead of only the first line of a message. Never a stack: one line, the user's file, no frame
 * of pounce's own. The shapes, all verified on this machine's runtimes:
 *
 * - Bun: a parse error is a `BuildMessage` (several come as an `AggregateError` of them), an
 *   unresolvable import a `ResolveMessage`; each carries `position: { file, line, column }`.
 * - Node (native import): a syntax error's location is only in the decorated stack Node prints —
 *   `file:///app.mjs:3` / the source line / a caret line (the Node adapter asks Node for that text
 *   when the error itself lacks it; see runtimes/node/load.ts).
 * - jiti (TypeScript on Node 20, and what Node 24's stripping refuses): the message ends with
 *   ` /path/app.ts:4:4`. Deno: the message ends with `at file:///app.ts:4:12` (ANSI-coloured for a
 *   missing module).
 * - A module that cannot be found: Node's CommonJS resolver (jiti) names the importer in
 *   `requireStack`; the others in the message.
 * - An error thrown while the module runs, on every runtime: the first stack frame in a file that
 *   is neither a runtime internal nor pounce's own (nor jiti, which runs the app on Node 20).
 */
import { isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../package-root.ts";

export interface ImportFailure {
  file?: string;
  line?: number;
  column?: number;
  /** The runtime's reason, one line, e.g. `SyntaxError: Unexpected token ')'`. */
  reason: string;
  /** Further errors the runtime reported for the same import (Bun lists every parse error). */
  more: number;
}

/** pounce's own folders (src/ and runtimes/, and dist/: compiled, or the start-up bundle's chunks):
 *  frames there are never the user's. */
const OWN_DIRS = ["src", "runtimes", "dist"].map((d) => `${join(packageRoot(), d)}/`);

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequences are what is stripped
const ANSI = /\u001b\[[0-9;]*m/g;
/** `path:line:col` at the end of a line: `/a/b.ts:4:12`, `file:///a/b.ts:4:12`, optionally `(…)`. */
const LOCATION_AT_END = /(?:^|[\s(])((?:file:\/\/)?\/[^\s()]*?):(\d+):(\d+)\)?\s*$/;
/** The same anywhere in a line (Deno sometimes appends ` at ext:core/01_core.js:405:7`). */
const LOCATION = /(?:^|[\s(])((?:file:\/\/)?\/[^\s()]*?):(\d+):(\d+)(?=\)?(?:\s|$))/;
/** A stack frame: `    at fn (loc)` or `    at loc`. */
const FRAME = /^\s+at (?:.*? \()?((?:file:\/\/)?\/[^\s()]*?):(\d+):(\d+)\)?\s*$/;

export function locateImportFailure(err: unknown): ImportFailure {
  const list = aggregate(err);
  const first = list[0];
  if (first) {
    const p = first.position as { file?: unknown; line?: unknown; column?: unknown };
    return {
      file: typeof p.file === "string" ? p.file : undefined,
      line: typeof p.line === "number" ? p.line : undefined,
      column: typeof p.column === "number" ? p.column : undefined,
      reason: `${first.name === "BuildMessage" ? "SyntaxError" : "Error"}: ${firstLine(String(first.message))}`,
      more: list.length - 1,
    };
  }
  if (!(err instanceof Error) && !(err && typeof err === "object" && "message" in err))
    return { reason: firstLine(String(err)), more: 0 };
  const e = err as Error;
  const message = String(e.message ?? "").replace(ANSI, "");
  const stack = typeof e.stack === "string" ? e.stack.replace(ANSI, "") : "";
  const reason = reasonOf(e.name, message);
  // A module that cannot be resolved: the frame is the import statement as a loader rewrote it (jiti:
  // line 1, column 203), not a place in the user's file; the message names the importer.
  const code = (e as { code?: unknown }).code;
  const unresolved = code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND";
  const where = decorated(stack) ?? inMessage(message) ?? (unresolved ? importer(e) : userFrame(stack, message));
  return { ...where, reason, more: 0 };
}

/** One line: `app.ts:4:12: SyntaxError: Expected ',', got 'new'` (paths relative to `cwd` inside it). */
export function describeImportFailure(err: unknown, cwd: string): string {
  const f = locateImportFailure(err);
  const more = f.more > 0 ? ` (and ${f.more} more error${f.more > 1 ? "s" : ""})` : "";
  if (!f.file) return `${f.reason}${more}`;
  const where = [displayPath(f.file, cwd), f.line, f.column].filter((x) => x !== undefined).join(":");
  return `${where}: ${f.reason}${more}`;
}

function displayPath(file: string, cwd: string): string {
  const abs = file.startsWith("file://") ? fileURLToPath(file) : file;
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel) ? rel : abs;
}

type Positioned = { name?: unknown; message?: unknown; position: object };

function positioned(x: unknown): x is Positioned {
  const p = (x as { position?: unknown } | null)?.position;
  return typeof p === "object" && p !== null && typeof (p as { file?: unknown }).file === "string";
}

/** Bun's errors that know their position: one, or each of an AggregateError's. */
function aggregate(err: unknown): Positioned[] {
  if (positioned(err)) return [err];
  const errs = (err as { errors?: unknown } | null)?.errors;
  return Array.isArray(errs) ? errs.filter(positioned) : [];
}

function firstLine(text: string): string {
  return (text.split("\n").find((l) => l.trim() !== "") ?? "").trim();
}

/**
 * The message's first line, named: `SyntaxError: …`. A message that already starts with an error
 * name keeps it (Deno wraps a SyntaxError's text in a TypeError; jiti's says `ParseError: …`).
 * A trailing location on that line (jiti's) is dropped: it is reported separately.
 */
function reasonOf(name: string, message: string): string {
  const line = firstLine(message).replace(LOCATION_AT_END, "").trim();
  return /^[A-Z]\w*(?:Error|Exception)\b[^:]*:/.test(line) ? line : `${name || "Error"}: ${line}`;
}

/** Node's decorated form: `file:///app.mjs:3`, the source line(s), a caret line under the column. */
function decorated(stack: string): Omit<ImportFailure, "reason" | "more"> | undefined {
  const lines = stack.split("\n");
  const head = /^((?:file:\/\/)?\/.*?):(\d+)$/.exec(lines[0] ?? "");
  if (!head?.[1]) return undefined;
  const caret = lines.slice(1, 8).find((l) => /^\s*\^+\s*$/.test(l));
  return { file: head[1], line: Number(head[2]), column: caret === undefined ? undefined : caret.indexOf("^") + 1 };
}

/** A location the runtime wrote into the message itself (Deno, jiti). */
function inMessage(message: string): Omit<ImportFailure, "reason" | "more"> | undefined {
  for (const l of message.split("\n")) {
    const m = LOCATION.exec(l);
    if (m?.[1]) return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** Node's CommonJS resolver (jiti on Node 20) lists the importing files in `requireStack`. */
function importer(e: Error): Omit<ImportFailure, "reason" | "more"> | undefined {
  const from = (e as { requireStack?: unknown }).requireStack;
  return Array.isArray(from) && typeof from[0] === "string" ? { file: from[0] } : undefined;
}

/** The first frame of the stack (after the message) in a user's file. */
function userFrame(stack: string, message: string): Omit<ImportFailure, "reason" | "more"> | undefined {
  const frames = stack.includes(message) ? stack.slice(stack.indexOf(message) + message.length) : stack;
  for (const l of frames.split("\n")) {
    const m = FRAME.exec(l);
    if (!m?.[1]) continue;
    const file = m[1].startsWith("file://") ? fileURLToPath(m[1]) : m[1];
    if (OWN_DIRS.some((d) => file.startsWith(d)) || file.includes(`${sep}node_modules${sep}jiti${sep}`)) continue;
    return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
