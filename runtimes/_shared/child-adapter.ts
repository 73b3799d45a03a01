/**
 * The supervisor side shared by the adapters whose workers are child processes each listening with
 * `reusePort` on the shared port (Bun, Deno): port-sharing checks, the tcp_migrate_req set-up, and
 * the spawn/IPC/exit handling around one runtime-specific `spawnChild`.
 */
import type { LifecycleSignal, RuntimeAdapter, WorkerEvents, WorkerHandle } from "../../src/adapter.ts";
import type { Config } from "../../src/config.ts";
import { PounceError } from "../../src/errors.ts";
import type { SupervisorMessage, WorkerSpec } from "../../src/protocol.ts";
import type { UnixDatagram } from "../../src/systemd/datagram.ts";
import type { AdapterSupervisorMessage } from "./adapter-messages.ts";
import { portSharing } from "./reuse-port.ts";
import { ensureTcpMigrateReq } from "./tcp-migrate-req.ts";
import { answerTls, specWithoutSecrets } from "./tls-handoff.ts";
import { linkWorker, type WorkerLink } from "./worker-link.ts";

/** A started worker process, in the runtime's own API. */
export interface Child {
  readonly pid?: number;
  /** Deliver a message (may throw when the channel is closing). */
  send(msg: SupervisorMessage | AdapterSupervisorMessage): void;
  kill(): void;
}

export interface ChildRuntime {
  /** "Bun", "Deno": in messages ("Bun.serve's reusePort …"). */
  name: string;
  /** "bun 1.2.3", shown in logs. */
  runtime: string;
  platform: string;
  /** Start `worker-main <spec>` with an IPC channel; feed every message, the exit and the channel's
   *  close to `link`. */
  spawnChild(spec: WorkerSpec, link: WorkerLink): Child;
  /** What `spawnChild` fixes from a spec on the child's command line (Bun: the flags its limits
   *  give), beyond the uid/gid every child is started with: a warm worker whose spawn fixed other
   *  values cannot assume a spec (WorkerHandle.canAssume). Absent: nothing. */
  spawnFixed?(spec: WorkerSpec): unknown;
  /** Extra one-time checks where ports are shared (e.g. a permission this runtime needs). */
  prepareShared?(config: Config, log: { info(msg: string): void; warn(msg: string): void }): void;
  onSignal(signal: LifecycleSignal, handler: () => void): void;
  setTitle(title: string): void;
  exit(code: number): never;
  holdListenSocket?: RuntimeAdapter["holdListenSocket"];
  unixDatagram?: UnixDatagram;
  unixDatagramUnavailableReason?: string;
  monotonicUsec?(): bigint;
  inheritedSocketUnavailableReason?: string;
}

export function childProcessAdapter(rt: ChildRuntime): RuntimeAdapter {
  const sharing = portSharing(rt.platform);
  return {
    runtime: rt.runtime,
    canOverlap: sharing.available,
    overlapUnavailableReason: sharing.available
      ? undefined
      : `${rt.name}.serve's reusePort shares a port only on Linux (${sharing.why})`,
    // Each worker binds its own listener: one unix socket is served by one worker (src refuses more).
    unixSocketShared: false,
    workersBindPort: true,
    prepare(config, log) {
      // A unix socket needs no port sharing: a new generation's socket is renamed over the old one.
      if (config.uds) return rt.prepareShared?.(config, log);
      if (!sharing.available && config.workers > 1)
        // Without SO_REUSEPORT, two processes cannot listen on one port: one worker serves.
        throw new PounceError(
          "E_BAD_VALUE",
          `--workers ${config.workers} needs port sharing, which ${rt.name} has only on Linux (${sharing.why}): use --workers 1`,
        );
      if (!sharing.available) return;
      if (config.reloadStrategy !== "restart") ensureTcpMigrateReq(log.info, log.warn);
      rt.prepareShared?.(config, log);
    },
    spawn(spec: WorkerSpec, events: WorkerEvents): WorkerHandle {
      // A warm worker answers from the spec it assumed.
      let current = spec;
      const link = linkWorker(events, (msg) =>
        answerTls(current, msg, (answer) => {
          try {
            child.send(answer);
          } catch {
            // the worker is going; its exit follows
          }
        }),
      );
      const child = rt.spawnChild(specWithoutSecrets(spec), link);
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (link.gone) return;
          try {
            child.send(msg);
          } catch {
            // the worker is going; its exit follows
          }
        },
        kill: () => child.kill(),
        assume(next: WorkerSpec) {
          current = next;
          if (link.gone) return;
          try {
            child.send({ type: "assume", spec: specWithoutSecrets(next) });
          } catch {
            // the worker is going; its exit follows
          }
        },
        canAssume: (next: WorkerSpec) =>
          next.uid === spec.uid &&
          next.gid === spec.gid &&
          JSON.stringify(rt.spawnFixed?.(next)) === JSON.stringify(rt.spawnFixed?.(spec)),
      };
    },
    holdListenSocket: rt.holdListenSocket,
    onSignal: rt.onSignal,
    setTitle: rt.setTitle,
    exit: rt.exit,
    unixDatagram: rt.unixDatagram,
    unixDatagramUnavailableReason: rt.unixDatagramUnavailableReason,
    monotonicUsec: rt.monotonicUsec,
    inheritedSocketUnavailableReason: rt.inheritedSocketUnavailableReason,
  };
}
