/**
 * pounce's own folder (the one holding its package.json): the checkout, or node_modules/pounce.
 * Found upwards from this module, so it holds wherever the code runs from: src/ (sources), dist/src/
 * (tsc's output) or a chunk of the start-up bundle at dist/ (scripts/bundle.mjs), each at its own depth.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6 && !existsSync(join(dir, "package.json")); i++) dir = dirname(dir);
  root = dir;
  return dir;
}
