/**
 * The Bun adapter's supervisor side. Workers are child `bun` processes, each running
 * `Bun.serve({ reusePort: true })` on the shared port (never Bun's node:cluster, RUNTIMES.md pitfall 8).
 * Processes rather than Bun Workers (docs/bun.md has the measurements): a worker that calls
 * process.exit(), throws at top level, runs out of memory or crashes natively cannot take the
 * supervisor with it; each has its own title in `ps`; and when the supervisor is SIGKILLed, its
 * workers see the IPC channel close and finish their in-flight requests before exiting.
 * What Bun and Deno share (checks, IPC, exit order) is in ../_shared/child-adapter.ts.
 */

import { fileURLToPath } from "node:url";
import type { LifecycleSignal, RuntimeAdapter } from "../../src/adapter.ts";
import type { WorkerMessage } from "../../src/protocol.ts";
import type { AdapterWorkerMessage } from "../_shared/adapter-messages.ts";
import { childProcessAdapter } from "../_shared/child-adapter.ts";
import { pipeWebOutput } from "../_shared/worker-output.ts";
import { Bun } from "./bun-api.ts";
import { bunWorkerFlags } from "./limits.ts";
import { holdListenSocket } from "./listen-socket.ts";
import { setProcessTitle } from "./title.ts";
import { bunUnixDatagram } from "./unix-datagram.ts";

/** worker-main next to this file: .ts when Bun runs the sources, .js in dist/. */
function workerMain(): string {
  const here = new URL(import.meta.url);
  return fileURLToPath(new URL(here.pathname.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", here));
}

/** Started through `bunx pounce` (bin/pounce.mjs hands over to Bun; these variables come from bunx). */
const UNDER_BUNX = process.env.npm_lifecycle_event === "bunx";
const BUNX_RELAY_WINDOW_MS = 50;

function onSignal(signal: LifecycleSignal, handler: () => void): void {
  if (!UNDER_BUNX) {
    process.on(signal, handler);
    return;
  }
  // Under bunx, one Ctrl-C (or one hang-up) reaches pounce twice or more: from the terminal to
  // the whole process group, and relayed by bunx (and by bin/pounce.mjs where Node could not
  // execve). Copies within a few milliseconds are one signal, not a "second SIGINT".
  // Not 0: performance.now() counts from this process's start, and pounce is up (even Ready)
  // within 50 ms of it, so a first signal then passed for a copy and was dropped unlogged.
  let last = Number.NEGATIVE_INFINITY;
  process.on(signal, () => {
    const now = performance.now();
    const copy = now - last < BUNX_RELAY_WINDOW_MS;
    last = now;
    if (!copy) handler();
  });
}

export function createBunAdapter(): RuntimeAdapter {
  const main = workerMain();
  return childProcessAdapter({
    name: "Bun",
    runtime: `bun ${Bun.version}`,
    platform: process.platform,
    spawnFixed: (spec) => bunWorkerFlags(spec.limits),
    spawnChild(spec, link) {
      const child = Bun.spawn([process.execPath, ...bunWorkerFlags(spec.limits), main, JSON.stringify(spec)], {
        // Under bunx the binary may be named bunx: argv[0] "bun" keeps it bun.
        argv0: "bun",
        cwd: spec.cwd,
        env: { ...process.env },
        ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
        stdio: link.output ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
        serialization: "json",
        ipc: (msg) => link.message(msg as WorkerMessage | AdapterWorkerMessage),
        onExit(_proc, code, signal) {
          link.exited(code, signal === null ? null : String(signal));
          // Bun delivers the messages a worker sent before exiting ahead of this callback, and has
          // no channel-close event of its own: the exit is the close.
          link.channelClosed();
        },
      });
      pipeWebOutput(child.stdout, child.stderr, link);
      return { pid: child.pid, send: (msg) => child.send(msg), kill: () => child.kill("SIGKILL") };
    },
    holdListenSocket,
    onSignal,
    setTitle: (title) => void setProcessTitle(title),
    exit: (code) => process.exit(code),
    ...bunUnixDatagram(),
    inheritedSocketUnavailableReason: "Bun.serve cannot listen on an inherited socket (it takes no fd)",
  });
}
