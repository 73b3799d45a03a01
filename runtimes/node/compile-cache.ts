/**
 * V8's compile cache (Node ≥ 22.1, `module.enableCompileCache`): bin/pounce.mjs turns it on for the
 * supervisor; a worker gets it through NODE_COMPILE_CACHE from its first instruction, so its own
 * imports (pounce's worker code, @hono/node-server, the app) are not compiled again on each start
 * and reload. The directory is this user's own (created 0700 in the temp dir, and used only when it
 * is a directory owned by this user that nobody else can write: compiled code read from a directory
 * another user can write would run as pounce). An operator's NODE_COMPILE_CACHE is left to Node.
 * Marked, so the worker removes it from the environment its app sees.
 */
import { lstatSync, mkdirSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MARK = "POUNCE_COMPILE_CACHE";
let enabled: string | undefined;

/** This user's cache directory, or undefined when it cannot be trusted. */
export function privateCacheDir(base = tmpdir()): string | undefined {
  const uid = process.getuid?.() ?? -1;
  const dir = join(base, `pounce-node-compile-cache-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") return undefined;
  }
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** In the supervisor, before pounce's modules load. No-op before Node 22.1 and under NODE_COMPILE_CACHE. */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (module as { enableCompileCache?: (dir: string) => { status: number } }).enableCompileCache;
  if (typeof enable !== "function" || env.NODE_COMPILE_CACHE) return;
  const dir = privateCacheDir();
  if (!dir) return;
  const { status } = enable(dir);
  // 1 ENABLED, 2 ALREADY_ENABLED (node:module constants.compileCacheStatus)
  if (status === 1 || status === 2) enabled = dir;
}

/** What a worker's environment gets, when the supervisor has the cache on. */
export function compileCacheEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!enabled || env.NODE_COMPILE_CACHE) return {}; // off, or the operator's own (inherited as is)
  return { NODE_COMPILE_CACHE: enabled, [MARK]: "1" };
}

/** In the worker: drop what compileCacheEnv added (Node read it at start-up). */
export function forgetCompileCacheEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env[MARK] !== "1") return;
  delete env[MARK];
  delete env.NODE_COMPILE_CACHE;
}
