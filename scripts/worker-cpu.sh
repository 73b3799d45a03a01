#!/bin/bash
# Worker CPU for a fixed number of hello-world requests (less sensitive to a loaded machine than
# requests per second): `scripts/worker-cpu.sh <checkout> <port> <runtime command…>`, e.g.
#   scripts/worker-cpu.sh . 18971 node      scripts/worker-cpu.sh . 18972 deno run -A
# Starts 1 worker of <checkout>/bin/pounce.mjs on a hello-world app, warms up with 20,000
# requests, then prints the worker's user+system CPU over 60,000 (h2load --h1 -c 16).
set -euo pipefail
dir=$(cd "$1" && pwd); port=$2; shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'export default { fetch() { return new Response("hello"); } };' > "$tmp/hello.mjs"
(cd "$tmp" && exec "$@" "$dir/bin/pounce.mjs" hello.mjs --port "$port") > "$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q Ready "$tmp/log" && break; sleep 0.2; done
w=$(ps -eo pid=,args= | awk -v p="$port" '$0 ~ "worker 0 .*:"p"$" {print $1}')
ticks() { sed 's/.*) //' "/proc/$w/stat" | awk '{print $12+$13}'; }
h2load --h1 -n 20000 -c 16 "http://127.0.0.1:$port/" > /dev/null
a=$(ticks)
h2load --h1 -n 60000 -c 16 "http://127.0.0.1:$port/" | grep -oE "[0-9]+ succeeded, [0-9]+ failed"
b=$(ticks)
echo "worker CPU for 60000 requests: $(( (b - a) * 10 )) ms"
kill "$pid"; wait "$pid" 2>/dev/null || true
