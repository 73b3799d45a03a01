#!/usr/bin/env node
// `npm test`: runs the black-box suite (test/*.test.ts) with Node 24's test runner, which reads
// TypeScript natively. The suite itself starts pounce on every runtime row (Node 20, Node 24, Bun,
// Deno); POUNCE_TEST_RUNTIMES narrows it, e.g. POUNCE_TEST_RUNTIMES=node20,bun npm test.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const node24 = process.env.POUNCE_NODE24 ?? resolve(root, ".runtimes/node_modules/.bin/node");
if (!existsSync(node24)) {
  // First run on a fresh machine: fetch Node 24 from the npm registry (kept out of node_modules/.bin
  // so it does not shadow the machine's node in npm scripts).
  console.log("pounce tests: installing Node 24 into .runtimes/ ...");
  const setup = spawnSync("bash", [resolve(root, "scripts/setup-node24.sh")], { cwd: root, stdio: "inherit" });
  if (setup.status !== 0 || !existsSync(node24)) {
    console.error("pounce tests: could not install Node 24 (see above)");
    process.exit(2);
  }
}
const only = process.argv.slice(2);
const files = only.length
  ? only
  : readdirSync(resolve(root, "test"))
      .filter((f) => f.endsWith(".test.ts"))
      .sort()
      .map((f) => `test/${f}`);
const env = { ...process.env };
// The Node 20 row is the node that runs this script when it is a Node 20 (the machine's default).
if (!env.POUNCE_NODE20 && process.versions.node.startsWith("20.")) env.POUNCE_NODE20 = process.execPath;
const res = spawnSync(node24, ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
  cwd: root,
  env,
  stdio: "inherit",
});
process.exit(res.status ?? 1);
