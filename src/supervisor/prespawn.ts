/**
 * The prespawned worker: started by the command line (src/cli/prespawn.ts) before the supervisor has
 * read its configuration, so the runtime's boot and pounce's worker modules in the worker run while
 * the supervisor's own load and read theirs, instead of after them (bench/FINDINGS.md, "Start-up").
 * - It is a warm worker (`mode: "warm"`, src/worker/warm.ts): it loads what comes before the app and
 *   waits. Its spec is built from the defaults; what a spawn fixes (uid/gid, runtime flags, output
 *   capture) is checked against the real spec when boot takes it, as for any warm worker.
 * - Its events wait here until the supervisor exists and attaches (Supervisor `prespawned`), then
 *   everything it said so far is replayed, in order.
 * - Boot's first spawn takes it (warm.ts, `takeWarm` with `starting`); one that does not fit is
 *   killed and that worker spawned as usual. Untaken, it stays a warm worker only where
 *   --warm-workers wants one; the pool's upkeep kills it otherwise.
 */
import type { RuntimeAdapter, WorkerEvents, WorkerHandle } from "../adapter.ts";
import { resolveConfig } from "../config.ts";
import type { WorkerSpec } from "../protocol.ts";
import { specFrom } from "./worker-spec.ts";

export interface PrespawnedWorker {
  /** What it was started with. */
  readonly spec: WorkerSpec;
  readonly handle: WorkerHandle;
  /** From now on its events go to `events`; those that came before are delivered first. Once only. */
  attach(events: WorkerEvents): void;
}

/**
 * The spec of a worker started before the configuration is known: the defaults, in `cwd`.
 * `typescript`: the command line names a TypeScript entry, so the warm-up loads its loader (only a
 * hint for what to load early; the entry imported is the one the real spec names).
 */
export function prespawnSpec(cwd: string, typescript: boolean): WorkerSpec {
  const defaults = resolveConfig("app", {}, {});
  return specFrom(defaults, undefined, {
    id: -1,
    generation: -1,
    mode: "warm",
    file: typescript ? `${cwd}/app.ts` : "",
    exportName: "default",
    cwd,
    listen: { kind: "tcp", host: defaults.host, port: defaults.port },
    maxRequests: 0,
  });
}

/** Spawn through `adapter`, with the events held until `attach`. Throws what the adapter's spawn throws. */
export function prespawn(adapter: RuntimeAdapter, spec: WorkerSpec): PrespawnedWorker {
  let target: WorkerEvents | undefined;
  const held: Array<(e: WorkerEvents) => void> = [];
  const deliver = (fn: (e: WorkerEvents) => void) => (target ? fn(target) : held.push(fn));
  // Never piped: output capture is for JSON logs, which only the configuration can ask for.
  const handle = adapter.spawn(spec, {
    message: (msg) => deliver((e) => e.message(msg)),
    exit: (code, signal) => deliver((e) => e.exit(code, signal)),
  });
  return {
    spec,
    handle,
    attach(events) {
      if (target) throw new Error("prespawned worker attached twice");
      target = events;
      for (const fn of held.splice(0)) fn(events);
    },
  };
}
