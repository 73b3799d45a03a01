#!/usr/bin/env bash
# Fresh-machine set-up: npm dependencies (Bun and Deno come from the npm registry as devDependencies),
# Node 24 for the test runner and the node24 row (kept out of node_modules/.bin so it does not
# shadow the machine's node in npm scripts), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm ci`, as Dockerfiles and CI pipelines install: exactly the lock file, which records every
# platform's optional packages (biome, bun, deno), and never rewrites it.
npm ci --no-audit --no-fund
bash scripts/setup-node24.sh
npm run build --silent  # tsc, then the start-up bundle (scripts/bundle.mjs)
echo "setup done: node $(node --version), node24 $(.runtimes/node_modules/.bin/node --version), bun $(node_modules/.bin/bun --version), $(node_modules/.bin/deno --version | head -1)"
