/**
 * What the policy modules (rollout, replacement, reload queue, reconcile) see of the supervisor:
 * its state, the adapter, the clock, and the two ways out — a note for the observers, and exit.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import type { LoadedConfig } from "../config-source.ts";
import type { ListenTarget } from "../listen-target.ts";
import type { RunAs } from "../privileges.ts";
import type { AppOutput } from "./app-output.ts";
import type { SupervisorEvent } from "./events.ts";
import type { Note } from "./notes.ts";
import type { Snapshot } from "./snapshot.ts";
import type { SupervisorState } from "./state.ts";

export interface Core {
  readonly state: SupervisorState;
  readonly adapter: RuntimeAdapter;
  now(): number;
  /** Reloads start the new generation beside the old one (else stop-then-start). */
  readonly overlap: boolean;
  /** The configuration the next generation starts with. */
  config: Config;
  /** Where the service listens: TCP with its concrete port, the unix socket's public path, or the
   *  socket systemd passed (socket activation). Fixed at start. */
  readonly listen: ListenTarget;
  /** What one worker is told to bind (a unix socket's private name; else `listen`). */
  listenFor(worker: number, generation: number): ListenTarget;
  /** The directory the next generation runs in (and resolves a relative entry against). */
  cwd: string;
  /** Start reading the configuration for a reload (the result comes back as a config-read event);
   *  absent when the configuration never changes (no source was given). */
  readReloadConfig?(ticket: number): void;
  /** The reload about to start uses this configuration and directory. */
  useConfig(loaded: LoadedConfig): void;
  /** --user/--group: the uid and gid every worker runs as. */
  readonly runAs?: RunAs;
  dispatch(event: SupervisorEvent): void;
  /** Where a worker's own stdout/stderr lines go as log records (JSON logs only). */
  appOutput(worker: number, generation: number): AppOutput;
  note(note: Note): void;
  exit(code: number): void;
  /** What is running now (metrics' gauges, the state file). */
  snapshot(): Snapshot;
}
