/**
 * V8's compiled code kept between worker processes, so a new worker (a reload's) does not parse and
 * compile pounce's worker modules, @hono/node-server and the TypeScript loader again. Node 22.1+
 * keeps it itself (`module.enableCompileCache`); on Node 20, which has no such cache, only the
 * largest piece is kept: jiti's babel (jiti-babel.ts). V8 checks each entry against the source and
 * its own version, so a stale entry is recompiled, never run.
 *
 * Where: NODE_COMPILE_CACHE if set (Node's own variable), else a directory of this user's own under
 * the temporary directory (mode 0700, refused if it is not ours: compiled code from another user
 * must never run). NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does for Node.
 */
import { lstatSync, mkdirSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

type NodeModule = typeof module & {
  enableCompileCache?: (dir?: string) => unknown;
  flushCompileCache?: () => void;
};
const nodeModule = module as NodeModule;

let dir: string | null | undefined;

/** The cache directory, created if needed; undefined when off or not safely ours. */
export function compileCacheDir(): string | undefined {
  if (dir === undefined) dir = findDir();
  return dir ?? undefined;
}

function findDir(): string | null {
  const env = process.env;
  if (env.NODE_DISABLE_COMPILE_CACHE) return null;
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE;
  const uid = process.getuid?.() ?? 0;
  const path = join(tmpdir(), `pounce-compile-cache-${uid}`);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? path : null;
  } catch {
    return null;
  }
}

/** Node's own cache for every module this worker loads from here on (Node 22.1+; else nothing). */
export function enableModuleCompileCache(): void {
  if (!nodeModule.enableCompileCache) return;
  const at = compileCacheDir();
  if (at) nodeModule.enableCompileCache(at);
}

/** Write what this worker compiled now rather than at its exit (it may serve for days, or be
 *  SIGKILLed): the next reload's workers find it. */
export function flushModuleCompileCache(): void {
  nodeModule.flushCompileCache?.();
}

/** Whether this Node keeps compiled modules itself (then jiti's babel needs no cache of its own). */
export const nodeKeepsCompileCache = typeof nodeModule.enableCompileCache === "function";
