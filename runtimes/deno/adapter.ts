/**
 * The Deno adapter's supervisor side. Workers are child `deno` processes, each running
 * `Deno.serve({ reusePort: true })` on the shared port (never Deno's node:cluster, RUNTIMES.md
 * pitfall 6). Processes rather than Web Workers (docs/deno.md has the measurements): the child gets
 * `--unstable-net` on its own command line, so the supervisor needs no unstable flag and never
 * re-spawns itself (its PID stays the operator's); a worker that calls Deno.exit(), runs out of memory
 * or wedges its event loop cannot take the supervisor with it; and a worker outlives a SIGKILLed
 * supervisor long enough to finish its in-flight requests.
 * What Bun and Deno share (checks, IPC, exit order) is in ../_shared/child-adapter.ts.
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RuntimeAdapter } from "../../src/adapter.ts";
import { childProcessAdapter } from "../_shared/child-adapter.ts";
import { pipeOutput } from "../_shared/worker-output.ts";
import { Deno } from "./deno-api.ts";
import { workerFlags } from "./flags.ts";
import { holdListenSocket } from "./listen-socket.ts";
import { setProcessTitle } from "./title.ts";
import { denoUnixDatagram } from "./unix-datagram.ts";

/** worker-main next to this file: .ts when Deno runs the sources, .js in dist/. */
function workerMain(): string {
  const here = new URL(import.meta.url);
  const url = new URL(here.pathname.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", here);
  return url.protocol === "file:" ? fileURLToPath(url) : url.href;
}

function granted(name: "ffi"): boolean {
  try {
    return Deno.permissions.querySync({ name }).state === "granted";
  } catch {
    return false;
  }
}

export function createDenoAdapter(): RuntimeAdapter {
  // Read before the supervisor's title overwrites this process's command line.
  const { flags } = workerFlags();
  const main = workerMain();
  return childProcessAdapter({
    name: "Deno",
    runtime: `deno ${(globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno ?? ""}`.trim(),
    platform: Deno.build.os,
    prepareShared(_config, log) {
      if (!granted("ffi"))
        log.warn(
          "Without --allow-ffi (or -A) a draining worker cannot stop its listener on its own, so Deno's shutdown() " +
            "closes freshly accepted connections too: each reload may reset a few new connections (see docs/deno.md)",
        );
    },
    spawnChild(spec, link) {
      const piped = link.output ? "pipe" : "inherit";
      const child = spawn(Deno.execPath(), ["run", ...flags, main, JSON.stringify(spec)], {
        cwd: spec.cwd,
        ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
        stdio: ["inherit", piped, piped, "ipc"],
        serialization: "json",
      });
      pipeOutput(child.stdout, child.stderr, link);
      child.on("message", link.message);
      child.on("error", () => link.exited(null, null));
      child.on("exit", (code, signal) => link.exited(code, signal));
      // 'exit' can overtake the last messages still in the IPC pipe; the close says they are read.
      child.on("disconnect", link.channelClosed);
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (child.connected) child.send(msg);
        },
        kill: () => void child.kill("SIGKILL"),
      };
    },
    holdListenSocket,
    onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
    setTitle: (title) => void setProcessTitle(title),
    exit: (code) => Deno.exit(code),
    ...denoUnixDatagram(),
    inheritedSocketUnavailableReason: "Deno.serve cannot listen on an inherited socket (it takes no fd)",
  });
}
