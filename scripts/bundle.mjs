#!/usr/bin/env node
// `npm run build`, after tsc: the start-up bundle. tsc's dist/ is complete on its own (one file per
// module); this overwrites the files a process starts from — dist/src/cli/main.js (the supervisor,
// loaded by bin/pounce.mjs), dist/runtimes/<rt>/index.js (the adapter serve.ts imports for the runtime
// it runs on), dist/runtimes/<rt>/worker-main.js (a worker) and dist/runtimes/deno/preflight.js — with
// Bun's bundler output, each of them one file plus the chunks they share in dist/bundle/. Loading ~10
// files instead of ~60 is what it buys (bench/FINDINGS.md, "Start-up"). The lazy imports stay lazy
// (--splitting: each dynamic import() is its own chunk), the packages pounce depends on stay external
// (installed beside it, as before), and one runtime's adapter is still never loaded on another.
// A later `tsc` alone puts tsc's files back: a working, unbundled dist/.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const bun = process.env.POUNCE_BUN ?? resolve(root, "node_modules/.bin/bun");
const entries = [
  "src/cli/main.ts",
  ...["node", "bun", "deno"].flatMap((rt) => [`runtimes/${rt}/index.ts`, `runtimes/${rt}/worker-main.ts`]),
  "runtimes/deno/preflight.ts",
];
if (!existsSync(bun)) {
  console.error(`pounce build: error: ${bun} not found — run \`npm ci\` (Bun is a dev dependency: it bundles dist/)`);
  process.exit(1);
}
rmSync(resolve(root, "dist/bundle"), { recursive: true, force: true });
const args = ["build", ...entries, "--target", "node", "--format", "esm", "--splitting", "--packages", "external"];
args.push(
  "--root",
  ".",
  "--outdir",
  "dist",
  "--entry-naming",
  "[dir]/[name].[ext]",
  "--chunk-naming",
  "bundle/[name]-[hash].[ext]",
);
const r = spawnSync(bun, args, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
if (r.status !== 0) {
  console.error("pounce build: error: bun build failed (see above)");
  process.exit(1);
}
// The adapters find their worker-main (Node: worker-entry) next to themselves (`new URL("./worker-main.js", import.meta.url)`):
// that holds only while each adapter is inlined in its runtimes/<rt>/index.js, not moved into a shared chunk.
const bundleDir = resolve(root, "dist/bundle");
for (const chunk of readdirSync(bundleDir)) {
  const text = readFileSync(resolve(bundleDir, chunk), "utf8");
  if (text.includes('"./worker-main.') || text.includes('"./worker-entry.')) {
    console.error(
      `pounce build: error: dist/bundle/${chunk} holds an adapter (it looks for ./worker-main next to itself): import runtimes/<rt>/adapter.ts only from runtimes/<rt>/index.ts`,
    );
    process.exit(1);
  }
}
