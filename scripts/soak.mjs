#!/usr/bin/env node
// `npm run soak`: 200 reloads under load on every runtime row (POUNCE_TEST_RUNTIMES narrows them;
// a number argument changes the count), outside the default test run. Prints, per row, requests
// sent and failed, the supervisor's RSS and fd count with their slopes (after the first tenth, over
// the second half and the last quarter: a plateau's fall towards 0), a table of checkpoints
// (anonymous and file-backed memory, JS heap after a collection, listener and handle counts), and
// the worker count at the end; exits 1 if a request failed, the worker count is off, the fd count
// grows, (from 100 reloads on) the JS heap grows more than 5 KiB per reload over the second half,
// or, on Node, the supervisor's V8 new space grows.
// It runs test/_soak.ts on Node 24 (which reads TypeScript), as scripts/test.mjs runs the suite.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const node24 = process.env.POUNCE_NODE24 ?? resolve(root, ".runtimes/node_modules/.bin/node");
if (!existsSync(node24)) {
  console.error("pounce soak: Node 24 is missing — run `npm test` once (it installs it) or scripts/setup-node24.sh");
  process.exit(2);
}
// `npm run soak -- [reloads] [--workers N] [--no-load] [--no-probe] [--gc-every N] [--json]`
const [first, ...rest] = process.argv.slice(2);
const args = first === undefined || first.startsWith("--") ? ["200", ...(first ? [first] : []), ...rest] : [first, ...rest];
const run = spawnSync(node24, [resolve(root, "test/_soak.ts"), "--main", ...args], { cwd: root, stdio: "inherit" });
process.exit(run.status ?? 1);
