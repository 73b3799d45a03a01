/**
 * A warm worker's wait (--warm-workers; the supervisor's side is supervisor/warm.ts): started before
 * any reload asks for it, it loads what comes before the app — the worker's own modules, the
 * runtime's server and, through `host.warmUp`, the TypeScript loader — reports `warm` and waits. On
 * `assume` it becomes the worker that spec describes: its directory, then the ordinary start. The app
 * is never imported before that, so a reload serves the code as it is at the signal.
 */
import process from "node:process";
import type { WorkerHost } from "../adapter.ts";
import { describe } from "../errors.ts";
import { addressLabel } from "../listen-target.ts";
import type { WorkerSpec } from "../protocol.ts";
import { trace } from "../startup-trace.ts";

/** The spec to start as, or undefined when the supervisor went away first (the worker has exited). */
export async function waitToAssume(host: WorkerHost): Promise<WorkerSpec | undefined> {
  const warm = host.spec;
  host.setTitle(`pounce: warm worker ${warm.entryLabel} ${addressLabel(warm.listen)}`);
  const assumed = new Promise<WorkerSpec | undefined>((resolve) => {
    host.onMessage((msg) => msg.type === "assume" && resolve(msg.spec));
    // Nobody would ever take this worker: nothing to finish.
    host.onSupervisorGone(() => resolve(undefined));
  });
  await host.warmUp?.(warm.file);
  trace("w-warm");
  host.send({ type: "warm" });
  const spec = await assumed;
  if (!spec) {
    host.exit(0);
    return undefined;
  }
  trace("w-assumed");
  try {
    if (process.cwd() !== spec.cwd) process.chdir(spec.cwd);
  } catch (err) {
    // A fresh worker is started in its directory; this one cannot get there (a permission).
    host.send({
      type: "failed",
      code: "E_WARM",
      message: `warm worker cannot change to ${spec.cwd}: ${describe(err)} (start pounce without --warm-workers)`,
    });
    host.exit(1);
    return undefined;
  }
  return spec;
}
