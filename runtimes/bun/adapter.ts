/**
 * The Bun adapter's supervisor side. Workers are child `bun` processes, each running
 * `Bun.serve({ reusePort: true })` on the shared port (never Bun's node:cluster, RUNTIMES.md pitfall 8).
 * Processes rather than Bun Workers (docs/bun.md has the measurements): a worker that calls
 * process.exit(), throws at top level, runs out of memory or crashes natively cannot take the
 * supervisor with it; each has its own title in `ps`; and when the supervisor is SIGKILLed, its
 * workers see the IPC channel close and finish their in-flight requests before exiting.
 */
import { fileURLToPath } from "node:url";
import type { LifecycleSignal, RuntimeAdapter, WorkerEvents, WorkerHandle } from "../../src/adapter.ts";
import { PounceError } from "../../src/errors.ts";
import type { SupervisorMessage, WorkerMessage, WorkerSpec } from "../../src/protocol.ts";
import { ensureTcpMigrateReq } from "../_shared/tcp-migrate-req.ts";
import { Bun, type BunSubprocess } from "./bun-api.ts";
import { setProcessTitle } from "./title.ts";

/** worker-main next to this file: .ts when Bun runs the sources, .js in dist/. */
function workerMain(): string {
  const here = new URL(import.meta.url);
  return fileURLToPath(new URL(here.pathname.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", here));
}

/** Tests force the off-Linux path on Linux with this (the operator's switch is --reload-strategy restart). */
const NO_REUSEPORT = process.env.POUNCE_BUN_NO_REUSEPORT === "1";

/** Started through `bunx pounce` (bin/pounce.mjs hands over to Bun; these variables come from bunx). */
const UNDER_BUNX = process.env.npm_lifecycle_event === "bunx";
const BUNX_RELAY_WINDOW_MS = 50;

export function createBunAdapter(): RuntimeAdapter {
  const main = workerMain();
  const linux = process.platform === "linux" && !NO_REUSEPORT;
  return {
    runtime: `bun ${Bun.version}`,
    canOverlap: linux,
    overlapUnavailableReason: linux
      ? undefined
      : `Bun.serve's reusePort shares a port only on Linux (this is ${NO_REUSEPORT ? "forced off by POUNCE_BUN_NO_REUSEPORT=1" : process.platform})`,
    prepare(config, log) {
      if (!linux && config.workers > 1)
        // Without SO_REUSEPORT, two processes cannot listen on one port: one worker serves.
        throw new PounceError(
          "E_BAD_VALUE",
          `--workers ${config.workers} needs port sharing, which Bun has only on Linux (${NO_REUSEPORT ? "forced off by POUNCE_BUN_NO_REUSEPORT=1" : `this is ${process.platform}`}): use --workers 1`,
        );
      if (linux && config.reloadStrategy !== "restart") ensureTcpMigrateReq(log.info, log.warn);
    },
    spawn(spec: WorkerSpec, events: WorkerEvents): WorkerHandle {
      let exited = false;
      const env: Record<string, string | undefined> = { ...process.env };
      if (!linux) env.POUNCE_BUN_NO_REUSEPORT = "1";
      const child: BunSubprocess = Bun.spawn([process.execPath, main, JSON.stringify(spec)], {
        // Under bunx the binary may be named bunx: argv[0] "bun" keeps it bun.
        argv0: "bun",
        env,
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "json",
        ipc(msg) {
          if (exited) return;
          const m = msg as WorkerMessage | { type: "log-flush" };
          if (m.type === "log-flush") return;
          events.message(m);
        },
        onExit(_proc, code, signal) {
          if (exited) return;
          // Messages the worker sent just before exiting are delivered before this callback, but
          // give one more turn of the loop so a "failed" reason always precedes the exit.
          setTimeout(() => {
            if (exited) return;
            exited = true;
            events.exit(code, signal === null ? null : String(signal));
          }, 0);
        },
      });
      return {
        get pid() {
          return child.pid;
        },
        send(msg: SupervisorMessage) {
          if (exited) return;
          try {
            child.send(msg);
          } catch {
            // the worker is going; its exit follows
          }
        },
        kill() {
          child.kill("SIGKILL");
        },
      };
    },
    onSignal(signal: LifecycleSignal, handler: () => void) {
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
    },
    setTitle(title: string) {
      setProcessTitle(title);
    },
    exit(code: number): never {
      process.exit(code);
    },
  };
}
