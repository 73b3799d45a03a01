/**
 * What the policy modules (rollout, replacement, reload queue, reconcile) see of the supervisor:
 * its state, the adapter, the clock, and the two ways out — a note for the observers, and exit.
 */
import type { RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import type { SupervisorEvent } from "./events.ts";
import type { Note } from "./notes.ts";
import type { SupervisorState } from "./state.ts";

export interface Core {
  readonly state: SupervisorState;
  readonly adapter: RuntimeAdapter;
  now(): number;
  /** Reloads start the new generation beside the old one (else stop-then-start). */
  readonly overlap: boolean;
  /** The configuration the next generation starts with. */
  config: Config;
  /** The concrete port every worker listens on. */
  readonly port: number;
  /** Socket activation: the inherited socket every worker serves on (host/port are then unused). */
  readonly listenFd?: number;
  readonly cwd: string;
  dispatch(event: SupervisorEvent): void;
  note(note: Note): void;
  exit(code: number): void;
}
