/**
 * jiti's TypeScript transform (its bundled babel, 1.5 MB) loaded through a V8 code cache on a Node
 * that has no compile cache of its own (Node 20). Parsing and compiling that bundle is most of what a
 * worker spends on its first .ts file: with the cache a reload's worker skips it (bench/FINDINGS.md,
 * "SIGHUP → new code"). The transform is jiti's own, handed back to jiti as its `transform` option.
 */

import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";
import { Script } from "node:vm";
import type { TransformOptions, TransformResult } from "jiti";
import { compileCacheDir } from "./compile-cache.ts";

type Transform = (opts: TransformOptions) => TransformResult;

/** `transform` for createJiti: undefined (jiti loads babel itself) when no cache can be kept. */
export function cachedBabelTransform(): Transform | undefined {
  const dir = compileCacheDir();
  if (!dir) return undefined;
  // jiti's own lazy transform loads this file (lib/jiti.cjs); if a jiti release moves it, jiti's stays.
  const file = join(dirname(createRequire(import.meta.url).resolve("jiti")), "../dist/babel.cjs");
  if (!existsSync(file)) return undefined;
  let transform: Transform | undefined;
  return (opts) => {
    if (!transform) {
      const loaded = load(file, dir);
      transform = loaded.transform;
      const out = transform(opts);
      // After the first transform, so the functions babel compiled lazily are in the cache too.
      if (loaded.save) loaded.save();
      return out;
    }
    return transform(opts);
  };
}

function load(file: string, dir: string): { transform: Transform; save?: () => void } {
  const source = readFileSync(file, "utf8");
  const st = statSync(file);
  // V8 rejects a cache made under other flags: one file per set of flags, or two pounces started with
  // different ones would rewrite each other's.
  const flags = hash(process.execArgv.join(" "));
  const cacheFile = join(dir, `jiti-babel-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}-${flags}.v8`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const mod: { exports: unknown } = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    mod.exports,
    mod.exports,
    createRequire(file),
    mod,
    file,
    dirname(file),
  );
  const transform = mod.exports as Transform;
  if (cachedData && !script.cachedDataRejected) return { transform };
  return {
    transform,
    save() {
      // Several workers may write at once: each writes its own file, the rename is atomic.
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cacheFile);
      } catch {}
    },
  };
}

/** FNV-1a, 32 bits, in hex: a short name for a string. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
