#!/usr/bin/env bash
# Fresh-machine set-up: npm dependencies (Bun and Deno come from the npm registry as devDependencies),
# Node 24 for the test runner and the node24 row (kept out of node_modules/.bin so it does not
# shadow the machine's node in npm scripts), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm install`, not `npm ci`: this npm writes lock files without other platforms' optional
# packages (biome, deno), and `npm ci` then refuses the lock as out of sync. The lock still pins
# every version installed here.
npm install --no-audit --no-fund
bash scripts/setup-node24.sh
npx tsc -p tsconfig.json
echo "setup done: node $(node --version), node24 $(.runtimes/node_modules/.bin/node --version), bun $(node_modules/.bin/bun --version), $(node_modules/.bin/deno --version | head -1)"
