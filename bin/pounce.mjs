#!/usr/bin/env node
// The installed `pounce` command. Run it directly from init systems (not through npx/npm exec,
// which do not forward SIGHUP to it).
import { existsSync } from "node:fs";

// Deno: check permissions first, so a missing one is a one-line error, not a NotCapable stack.
if (globalThis.Deno) (await import("../dist/runtimes/deno/preflight.js").catch(() => undefined))?.preflight();

const cli = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("pounce: error: dist/ is missing — run `npm install` (or `npm run build`) in the pounce checkout\n");
  process.exit(1);
}
const { main } = await import(cli.href);
await main(process.argv.slice(2));
