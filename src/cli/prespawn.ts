/**
 * `pounce [serve]`'s first step, before the configuration is read: take systemd's variables (no
 * worker may inherit them), load the adapter and start one worker at once (src/supervisor/prespawn.ts
 * says what it is and how boot takes it). Not with socket activation: the inherited socket's place
 * among a worker's fds is fixed at its spawn.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import { describe } from "../errors.ts";
import { trace } from "../startup-trace.ts";
import { type PrespawnedWorker, prespawn, prespawnSpec } from "../supervisor/prespawn.ts";
import { type SystemdEnvironment, takeSystemdEnvironment } from "../systemd/environment.ts";
import { loadAdapter } from "./load-adapter.ts";

export interface ServeStart {
  systemd: SystemdEnvironment;
  adapter: RuntimeAdapter;
  prespawned?: PrespawnedWorker;
  /** Why none was started (a spawn that threw), for the debug log. */
  notPrespawned?: string;
}

/** `args`: serve's arguments, looked at only for whether the entry is TypeScript (what to warm up). */
export async function startServe(args: readonly string[]): Promise<ServeStart> {
  const systemd = takeSystemdEnvironment(process.env, process.pid);
  const adapter = await loadAdapter();
  if (systemd.listen || process.env.POUNCE_PRESPAWN === "0") return { systemd, adapter };
  const typescript = args.some((a) => /\.[cm]?tsx?(:[\w$]+)?$/.test(a));
  try {
    const prespawned = prespawn(adapter, prespawnSpec(process.cwd(), typescript));
    trace("s-prespawned");
    // Exiting before a supervisor took it (a usage error, the port in use): it goes first, silently
    // (a Node cluster worker whose primary is gone while it boots prints an EPIPE stack).
    let attached = false;
    const killUnattached = () => {
      if (attached) return;
      try {
        prespawned.handle.kill();
      } catch {}
    };
    process.once("exit", killUnattached);
    return {
      systemd,
      adapter,
      prespawned: {
        ...prespawned,
        attach(events) {
          attached = true;
          process.off("exit", killUnattached);
          prespawned.attach(events);
        },
      },
    };
  } catch (err) {
    return { systemd, adapter, notPrespawned: describe(err) };
  }
}
