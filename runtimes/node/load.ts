/**
 * Importing the user's app on Node. Each worker is a fresh process, so every import is fresh code.
 * TypeScript: Node's own type stripping where this Node has it (22.18+, 24), else jiti — which also
 * covers what stripping refuses (enums, parameter properties) and CommonJS-scoped .ts files.
 */
import { extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileCacheDir, nodeKeepsCompileCache } from "./compile-cache.ts";

/** What locates a syntax error (it runs a child process): loaded only when an import failed. */
const locate = () => import("./syntax-location.ts");

const TS = new Set([".ts", ".mts", ".cts", ".tsx"]);
const nativeTs = Boolean((process.features as { typescript?: unknown }).typescript);

type Jiti = ReturnType<typeof import("jiti")["createJiti"]>;
let jitiLoader: Promise<Jiti> | undefined;

/** A warm worker (--warm-workers): load the TypeScript loader an import of a changed .ts entry
 *  needs — Node's stripper, or jiti with its babel — and nothing of the app. A .js entry needs none. */
export async function warmUp(file: string): Promise<void> {
  if (!TS.has(extname(file))) return;
  const source = "export const warm: number = 1;\n";
  if (nativeTs) {
    const strip = (await import("node:module")) as { stripTypeScriptTypes?: (code: string) => string };
    // Its one ExperimentalWarning is about pounce's call, not the app: not on the app's stderr.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    try {
      strip.stripTypeScriptTypes?.(source);
    } finally {
      process.emitWarning = emitWarning;
    }
    return;
  }
  // No filename: jiti's transform cache is passed by, so babel itself is loaded now.
  (await loader()).transform({ source, ts: true });
}

/** jiti, made once per process (a warm worker makes it before its one import). */
function loader(): Promise<Jiti> {
  jitiLoader ??= (async () => {
    const { createJiti } = await import("jiti");
    // Where Node keeps no compiled code between processes, babel comes through a cache of our own.
    const transform = nodeKeepsCompileCache ? undefined : (await import("./jiti-babel.ts")).cachedBabelTransform();
    // jiti's transform cache (keyed by each file's content: a changed file is transformed afresh): a
    // replacement, an added worker or a reload's unchanged files never load babel at all.
    const cacheDir = compileCacheDir();
    return createJiti(import.meta.url, {
      moduleCache: false,
      fsCache: cacheDir ? join(cacheDir, "jiti") : false,
      interopDefault: false,
      ...(transform ? { transform } : {}),
    });
  })();
  return jitiLoader;
}

export async function importApp(file: string): Promise<Record<string, unknown>> {
  const isTs = TS.has(extname(file));
  let refused: unknown;
  if (!isTs || nativeTs) {
    try {
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      if (!isTs || !strippingRefused(err)) throw (await locate()).withSyntaxLocation(err, file);
      refused = err;
    }
  }
  const jiti = await loader();
  try {
    return (await jiti.import(file)) as Record<string, unknown>;
  } catch (err) {
    // Neither could parse it: Node's own report (located, in Node's words) is the one to show.
    const invalid = (refused as { code?: unknown } | undefined)?.code === "ERR_INVALID_TYPESCRIPT_SYNTAX";
    throw invalid && /^ParseError: /.test(String((err as Error)?.message)) ? refused : (await locate()).withJitiColumn(err);
  }
}

/** Errors that mean "Node could not strip this file", not "the app is broken". */
function strippingRefused(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (code === "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX" || code === "ERR_UNKNOWN_FILE_EXTENSION") return true;
  if (code === "ERR_REQUIRE_ESM" || code === "ERR_INVALID_TYPESCRIPT_SYNTAX") return true;
  const message = err instanceof Error ? err.message : "";
  return err instanceof SyntaxError && /Cannot use import statement outside a module|Unexpected token 'export'/.test(message);
}
