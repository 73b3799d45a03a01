/**
 * V8's compile cache (Node ≥ 22.1, `module.enableCompileCache`): bin/pounce.mjs turns it on for the
 * supervisor; a worker gets it through NODE_COMPILE_CACHE from its first instruction, so its own
 * imports (pounce's worker code, @hono/node-server, the app) are not compiled again on each start
 * and reload. Marked, so the worker removes it from the environment its app sees.
 */
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MARK = "POUNCE_COMPILE_CACHE";

/** What a worker's environment gets, when the supervisor has the cache on. */
export function compileCacheEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const on = (module as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.();
  if (!on || env.NODE_COMPILE_CACHE) return {}; // off, or the operator's own setting (inherited as is)
  return { NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache"), [MARK]: "1" };
}

/** In the worker: drop what compileCacheEnv added (Node read it at start-up). */
export function forgetCompileCacheEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env[MARK] !== "1") return;
  delete env[MARK];
  delete env.NODE_COMPILE_CACHE;
}
