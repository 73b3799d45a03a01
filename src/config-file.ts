/**
 * The config file: `pounce.config.ts` (or .mts, .js, .mjs) in the working directory, or the file
 * given with --config. It default-exports an object of the options' camelCase names plus `entry`
 * (`defineConfig` from "pounce" only types it). Loaded fresh every time — the file and everything it
 * imports — so a reload sees the file as it is now. Values are checked by config.ts's option table;
 * here only the shape and the field names.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type FileValues, NOT_IN_FILE, OPTIONS } from "./config.ts";
import { describe, errors } from "./errors.ts";

export const CONFIG_FILE_NAMES = ["pounce.config.ts", "pounce.config.mts", "pounce.config.js", "pounce.config.mjs"] as const;

/** The fields a config file may set. */
export const FILE_FIELDS: readonly string[] = ["entry", ...OPTIONS.map((o) => o.key).filter((k) => !NOT_IN_FILE.has(k))];

/**
 * Which config file applies in `dir`: `given` (--config, relative to `dir`) or the one
 * pounce.config.* there; none is fine when nothing was given. Two candidates are an error, never a pick.
 */
export function findConfigFile(dir: string, given: string): string | undefined {
  if (given !== "") {
    const file = resolve(dir, given);
    if (!isFile(file)) throw errors.configNotFound(file);
    return file;
  }
  const found = CONFIG_FILE_NAMES.filter((name) => isFile(resolve(dir, name)));
  if (found.length > 1) throw errors.configAmbiguous(dir, found);
  return found[0] === undefined ? undefined : resolve(dir, found[0]);
}

type Importer = (file: string) => Promise<unknown>;
let importer: Importer | undefined;

/**
 * jiti on every runtime, with its module cache and file cache off and native import never tried:
 * Node 20 cannot import TypeScript itself, and the runtimes' own import() caches what a config file
 * imports (Bun even the file itself, whatever the query string), so a second read would be stale.
 */
async function freshImporter(): Promise<Importer> {
  if (!importer) {
    const { createJiti } = await import("jiti");
    const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, tryNative: false, interopDefault: false });
    // jiti hands an ES module file (.mjs, or .js in a `type: module` package) to the runtime's own
    // import() even with tryNative off, which caches it: such a file is transpiled and evaluated
    // here instead (its own imports go through jiti, uncached). No top-level await in it, then.
    importer = async (file) =>
      /\.m?js$/.test(file)
        ? jiti.evalModule(readFileSync(file, "utf8"), { id: file, filename: file, async: false, forceTranspile: true })
        : jiti.import(file);
  }
  return importer;
}

/** Import `file` afresh and check its default export's shape and field names. */
export async function loadConfigFile(file: string): Promise<FileValues> {
  let mod: unknown;
  try {
    mod = await (await freshImporter())(file);
  } catch (err) {
    throw errors.configLoad(file, loadFailure(err));
  }
  const value = (mod as { default?: unknown } | undefined)?.default;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw errors.configShape(file, value === undefined ? "no default export" : Array.isArray(value) ? "an array" : typeof value);
  const values = value as Record<string, unknown>;
  for (const key of Object.keys(values)) {
    if (FILE_FIELDS.includes(key)) continue;
    throw errors.configUnknownField(file, key, unknownHint(key));
  }
  return { file, values };
}

/** The runtime's one-line reason, and where in the file when the message says (jiti's parse errors
 *  put `file:line:column` on a line of their own). */
function loadFailure(err: unknown): string {
  const why = describe(err).trim();
  const message = err instanceof Error ? String(err.message) : "";
  const where = message
    .split("\n")
    .slice(1)
    .map((l) => l.trim())
    .find((l) => /:\d+:\d+$/.test(l));
  return where ? `${why} (at ${where})` : why;
}

function unknownHint(key: string): string {
  if (NOT_IN_FILE.has(key)) return `${key} says where the config file is: give it as --config or POUNCE_CONFIG`;
  const flag = OPTIONS.find((o) => o.flag === key);
  if (flag) return `write it in camelCase: ${flag.key}`;
  const near = FILE_FIELDS.find((f) => distance(f.toLowerCase(), key.toLowerCase()) <= 2);
  return near ? `did you mean ${near}?` : `known fields: ${FILE_FIELDS.join(", ")}`;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}
