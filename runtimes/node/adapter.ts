/**
 * The Node adapter's supervisor side: workers are `node:cluster` processes. The primary owns one
 * listening socket for all generations (round-robin), so old and new workers overlap on one port
 * without SO_REUSEPORT and without its accept-queue resets.
 */
import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import type { LifecycleSignal, RuntimeAdapter, WorkerEvents, WorkerHandle } from "../../src/adapter.ts";
import { workerTitle } from "../../src/listen-target.ts";
import type { SupervisorMessage, WorkerSpec } from "../../src/protocol.ts";
import type { AdapterSupervisorMessage } from "../_shared/adapter-messages.ts";
import { answerTls, specWithoutSecrets } from "../_shared/tls-handoff.ts";
import { linkWorker } from "../_shared/worker-link.ts";
import { pipeOutput } from "../_shared/worker-output.ts";
import { holdListenSocket } from "./listen-socket.ts";
import { closeListeners, countTakenConnections, watchPrimaryListeners } from "./primary-listener.ts";
import { keepYoungGenerationSmall } from "./supervisor-heap.ts";
import { nodeUnixDatagram } from "./unix-datagram.ts";

const WORKER_MAIN = fileURLToPath(new URL("./worker-entry.js", import.meta.url));

export function createNodeAdapter(): RuntimeAdapter {
  let setUp = false;
  return {
    runtime: `node ${process.version}`,
    canOverlap: true,
    // The primary binds a unix socket once and hands its connections to every worker.
    unixSocketShared: true,
    ...nodeUnixDatagram(),
    canServeInheritedSocket: true,
    spawn(spec: WorkerSpec, events: WorkerEvents): WorkerHandle {
      if (!setUp) {
        setUp = true;
        cluster.setupPrimary({ exec: WORKER_MAIN, silent: false, serialization: "json" });
        watchPrimaryListeners();
        keepYoungGenerationSmall();
      }
      // The title is passed as an argument so the worker's argv is long enough to hold it (a warm
      // worker's: long enough for the worker it will become, generation and id still unknown).
      const title =
        spec.mode === "warm"
          ? workerTitle(99_999, 99_999, spec.entryLabel, spec.listen)
          : workerTitle(spec.id, spec.generation, spec.entryLabel, spec.listen);
      const piped = events.output ? "pipe" : "inherit";
      cluster.setupPrimary({
        exec: WORKER_MAIN,
        args: [title.padEnd(48, " ")],
        silent: events.output !== undefined,
        cwd: spec.cwd,
        // --user/--group (the core resolved them): every fork is set anew, so a spec without them
        // runs as the primary.
        uid: spec.uid,
        gid: spec.gid,
        // Socket activation: the inherited socket goes to the worker as its own fd (the IPC channel
        // moves to fd 4), and the worker accepts on it itself (server.ts says why not through the
        // primary): a connection no worker took stays queued in the kernel, for the next worker or
        // the next pounce.
        ...(spec.listen.kind === "fd" ? { stdio: ["inherit", piped, piped, spec.listen.fd, "ipc"] } : {}),
      });
      const worker: Worker = cluster.fork({ POUNCE_WORKER_SPEC: JSON.stringify(specWithoutSecrets(spec)) });
      countTakenConnections(worker.process);
      // A warm worker answers from the spec it assumed.
      let current = spec;
      const link = linkWorker(events, (msg) => {
        if (answerTls(current, msg, (answer) => worker.isConnected() && worker.send(answer))) return;
        // The cluster's own 'close' for this worker's handle came first on the same channel, so the
        // primary has already stopped handing it connections.
        if (msg.type === "stop-accepting" && worker.isConnected())
          worker.send({ type: "accept-stopped" } satisfies AdapterSupervisorMessage);
      });
      worker.on("message", link.message);
      worker.on("error", () => {});
      worker.on("disconnect", link.channelClosed);
      worker.on("exit", (code, signal) => link.exited(code, signal));
      pipeOutput(worker.process.stdout, worker.process.stderr, link);
      return {
        get pid() {
          return worker.process.pid;
        },
        send(msg: SupervisorMessage) {
          if (worker.isConnected()) worker.send(msg);
        },
        kill() {
          worker.process.kill("SIGKILL");
        },
        assume(next: WorkerSpec) {
          current = next;
          if (worker.isConnected()) worker.send({ type: "assume", spec: specWithoutSecrets(next) } satisfies SupervisorMessage);
        },
        // What the fork fixed: its user and group, and an inherited socket's place among its fds.
        canAssume: (next: WorkerSpec) =>
          next.uid === spec.uid &&
          next.gid === spec.gid &&
          (next.listen.kind === "fd") === (spec.listen.kind === "fd") &&
          (next.listen.kind !== "fd" || spec.listen.kind !== "fd" || next.listen.fd === spec.listen.fd),
      };
    },
    holdListenSocket,
    // The primary's round-robin socket (TCP or unix; socket activation has none): primary-listener.ts.
    closeSharedListener: closeListeners,
    onSignal(signal: LifecycleSignal, handler: () => void) {
      process.on(signal, handler);
    },
    setTitle(title: string) {
      process.title = title;
    },
    exit(code: number): never {
      process.exit(code);
    },
  };
}
