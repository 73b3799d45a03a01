#!/usr/bin/env node
// `npm test`: runs the unit tests (test/unit/*.test.ts: no processes, no runtime rows) and then the
// black-box suite (test/*.test.ts) with Node 24's test runner, which reads TypeScript natively. The
// black-box suite starts pounce on every runtime row (Node 20, Node 24, Bun, Deno);
// POUNCE_TEST_RUNTIMES narrows it, e.g. POUNCE_TEST_RUNTIMES=node20,bun npm test. Arguments name the
// files to run instead, e.g. `node scripts/test.mjs test/reload.test.ts test/unit/backoff.test.ts`.
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
const testFiles = (dir) =>
  existsSync(resolve(root, dir))
    ? readdirSync(resolve(root, dir))
        .filter((f) => f.endsWith(".test.ts"))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];
// Options (e.g. --test-name-pattern=...) go to the runner; other arguments are files.
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const isUnit = (f) => /(^|\/)unit\//.test(f);
const unit = only.length ? only.filter(isUnit) : testFiles("test/unit");
const blackBox = only.length ? only.filter((f) => !isUnit(f)) : testFiles("test");
const env = { ...process.env };
// pounce under test is started the way an operator starts it, not as a grandchild of `npm test`
// (it detects npm from these variables: see src/cli/package-manager-parent.ts).
for (const k of Object.keys(env)) if (k.startsWith("npm_")) delete env[k];
// The Node 20 row is the node that runs this script when it is a Node 20 (the machine's default).
if (!env.POUNCE_NODE20 && process.versions.node.startsWith("20.")) env.POUNCE_NODE20 = process.execPath;
// The spec report as it goes, and at the end one line per file with its time (slowest first).
const reporters = [
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  `--test-reporter=${resolve(root, "scripts/file-times-reporter.mjs")}`,
  "--test-reporter-destination=stdout",
];
// A hang fails instead of holding the run to CI's limit: a test over 5 minutes fails, and a file
// whose tests are done exits even if something keeps its event loop alive, such as a pipe from a
// pounce whose leftover worker still holds it (clean-clone CI once waited about 20 minutes on one).
const guards = ["--test-timeout=300000", "--test-force-exit"];
const run = (files, concurrency) =>
  spawnSync(node24, ["--test", `--test-concurrency=${concurrency}`, ...guards, ...reporters, ...flags, ...files], {
    cwd: root,
    env,
    stdio: "inherit",
  }).status ?? 1;
// Unit tests first: fast, in parallel. Then the black-box files three at a time (most of a file's
// time is waiting on processes and timers: on 2 cores, a clean-clone CI run took 695 s two at a time
// and 544 s three at a time; one at a time took 23 minutes), or as many as POUNCE_TEST_CONCURRENCY
// says (1 where timings must be quiet).
const blackBoxConcurrency = Number(process.env.POUNCE_TEST_CONCURRENCY ?? 3) || 1;
const unitStatus = unit.length ? run(unit, 2) : 0;
const blackBoxStatus = blackBox.length ? run(blackBox, blackBoxConcurrency) : 0;
process.exit(unitStatus || blackBoxStatus);
