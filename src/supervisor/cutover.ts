/**
 * Cut-over: the moment every new connection reaches the new generation. That is when the older
 * workers have all been told to drain (the stagger is over) and each has reported its listener
 * closed (or is gone). Old workers may still be answering what reached them; "Graceful reload
 * complete" comes once they have all exited. `pounce reload` waits for this note.
 */
import type { Core } from "./core.ts";
import { allLive, type Running } from "./state.ts";

export function settleCutover(core: Core, run: Running): void {
  const gen = run.cutoverOwed;
  if (!gen) return;
  if (run.active !== gen) {
    run.cutoverOwed = undefined; // replaced again before it took over: the newer one will say so
    return;
  }
  if (run.retiring) return;
  for (const w of allLive(core.state)) {
    if (w.generation.n >= gen.n || w.mode !== "serve") continue;
    if (w.status.kind !== "draining" || w.status.accepting) return;
  }
  run.cutoverOwed = undefined;
  core.note({ event: "cutover_complete", generation: gen.n });
}
