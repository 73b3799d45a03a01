/**
 * The Deno adapter's supervisor side. Workers are child `deno` processes, each running
 * `Deno.serve({ reusePort: true })` on the shared port (never Deno's node:cluster, RUNTIMES.md
 * pitfall 6). Processes rather than Web Workers (docs/deno.md has the measurements): the child gets
 * `--unstable-net` on its own command line, so the supervisor needs no unstable flag and never
 * re-spawns itself (its PID stays the operator's); a worker that calls Deno.exit(), runs out of memory
 * or wedges its event loop cannot take the supervisor with it; and a worker outlives a SIGKILLed
 * supervisor long enough to finish its in-flight requests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LifecycleSignal, RuntimeAdapter, WorkerEvents, WorkerHandle } from "../../src/adapter.ts";
import type { SupervisorMessage, WorkerMessage, WorkerSpec } from "../../src/protocol.ts";
import { ensureTcpMigrateReq } from "../_shared/tcp-migrate-req.ts";
import { Deno } from "./deno-api.ts";
import { workerFlags } from "./flags.ts";
import { setProcessTitle } from "./title.ts";

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
  const linux = Deno.build.os === "linux";
  return {
    runtime: `deno ${(globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno ?? ""}`.trim(),
    canOverlap: linux,
    overlapUnavailableReason: linux ? undefined : `Deno.serve's reusePort shares a port only on Linux (this is ${Deno.build.os})`,
    prepare(_config, log) {
      if (!linux) return;
      ensureTcpMigrateReq(log.info, log.warn);
      if (!granted("ffi"))
        log.warn(
          "Without --allow-ffi (or -A) a draining worker cannot stop its listener on its own, so Deno's shutdown() " +
            "closes freshly accepted connections too: each reload may reset a few new connections (see docs/deno.md)",
        );
    },
    spawn(spec: WorkerSpec, events: WorkerEvents): WorkerHandle {
      const child: ChildProcess = spawn(Deno.execPath(), ["run", ...flags, main, JSON.stringify(spec)], {
        stdio: ["inherit", "inherit", "inherit", "ipc"],
        serialization: "json",
      });
      let exited = false;
      const gone = (code: number | null, signal: string | null) => {
        if (exited) return;
        exited = true;
        events.exit(code, signal);
      };
      child.on("message", (msg: WorkerMessage | { type: "log-flush" }) => {
        if (msg.type === "log-flush") return;
        events.message(msg);
      });
      child.on("error", () => gone(null, null));
      // 'exit' can overtake the last messages still in the IPC pipe (a worker's "failed" reason):
      // report the exit once the channel has closed too, or shortly after.
      child.on("exit", (code, signal) => {
        if (!child.connected) return void setTimeout(() => gone(code, signal), 0);
        const timer = setTimeout(() => gone(code, signal), 200);
        child.once("disconnect", () => {
          clearTimeout(timer);
          setTimeout(() => gone(code, signal), 0);
        });
      });
      return {
        get pid() {
          return child.pid;
        },
        send(msg: SupervisorMessage) {
          if (child.connected) child.send(msg);
        },
        kill() {
          child.kill("SIGKILL");
        },
      };
    },
    onSignal(signal: LifecycleSignal, handler: () => void) {
      Deno.addSignalListener(signal, handler);
    },
    setTitle(title: string) {
      setProcessTitle(title);
    },
    exit(code: number): never {
      return Deno.exit(code);
    },
  };
}
