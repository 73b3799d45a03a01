// The supervisor's process handling without pounce: start a child with an IPC channel, wait for its
// "ready", tell the previous one to go, wait for its exit; N times. Spawned the way each adapter
// does (Node: node:cluster, JSON serialisation, one shared listener; Bun: Bun.spawn with ipc; Deno:
// node:child_process with "ipc"). Prints this process's RSS, anonymous/file-backed memory and JS heap
// after a collection at checkpoints, to tell the runtime's growth from pounce's.
//   node --expose-gc bench/tools/fork-reap.mjs [N=400]
//   bun bench/tools/fork-reap.mjs [N]      deno run -A --v8-flags=--expose-gc bench/tools/fork-reap.mjs [N]
import { readFileSync } from "node:fs";

const N = Number((globalThis.Deno ? Deno.args : process.argv.slice(2))[0] ?? 400);
const CHILD = new URL("./fork-reap-child.mjs", import.meta.url).pathname;

function kib(file, field) {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(file, "utf8"))?.[1]);
}
function jsHeap() {
  if (globalThis.Bun) {
    Bun.gc(true);
    return process.memoryUsage().heapUsed;
  }
  globalThis.gc?.();
  return (globalThis.Deno ? Deno.memoryUsage() : process.memoryUsage()).heapUsed;
}

let spawnChild;
if (globalThis.Bun) {
  spawnChild = () => {
    let ready;
    const readyP = new Promise((r) => (ready = r));
    const exited = new Promise((r) => {
      const c = Bun.spawn([process.execPath, CHILD], {
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "json",
        ipc: (m) => m.type === "ready" && ready(),
        onExit: () => r(),
      });
      spawnChild.last = c;
    });
    const c = spawnChild.last;
    return { ready: readyP, exited, drain: () => c.send({ type: "drain" }) };
  };
} else {
  const cluster = globalThis.Deno ? undefined : (await import("node:cluster")).default;
  const { spawn } = await import("node:child_process");
  const { createServer } = await import("node:net");
  const port = await new Promise((r) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
  if (cluster) cluster.setupPrimary({ exec: CHILD, serialization: "json" });
  spawnChild = () => {
    const c = cluster
      ? cluster.fork({ FORK_REAP_LISTEN: String(port) })
      : spawn(Deno.execPath(), ["run", "-A", CHILD], { stdio: ["inherit", "inherit", "inherit", "ipc"], serialization: "json" });
    const ready = new Promise((r) => c.on("message", (m) => m.type === "ready" && r()));
    const exited = new Promise((r) => c.on("exit", () => r()));
    c.on("disconnect", () => {});
    c.on("error", () => {});
    return { ready, exited, drain: () => c.send({ type: "drain" }) };
  };
}

const runtime = globalThis.Bun ? `bun ${Bun.version}` : globalThis.Deno ? `deno ${Deno.version.deno}` : `node ${process.version}`;
console.log(`${runtime}: ${N} spawn/ready/drain/reap cycles; MiB`);
console.log("  cycle   RSS   anon   file  JSheap");
let current = spawnChild();
await current.ready;
const mib = (k) => (k / 1024).toFixed(1).padStart(5);
for (let i = 1; i <= N; i++) {
  const next = spawnChild();
  await next.ready;
  current.drain();
  await current.exited;
  current = next;
  if (i % Math.max(1, Math.ceil(N / 8)) === 0 || i === N) {
    const heap = jsHeap();
    const rss = kib("/proc/self/smaps_rollup", "Rss");
    const anon = kib("/proc/self/smaps_rollup", "Anonymous");
    console.log(
      `  ${String(i).padStart(5)} ${mib(rss)}  ${mib(anon)}  ${mib(rss - anon)}  ${(heap / 2 ** 20).toFixed(2).padStart(6)}`,
    );
  }
}
current.drain();
await current.exited;
process.exit(0);
