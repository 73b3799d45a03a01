/**
 * `pounce reload|stop|status` on a wrapper: the state file's observer (src/control/) reads the
 * supervisor's reload notes, so this turns the wrapper's own into them. A copy is a generation of
 * one: a copy started after the first one served is a reload; its cut-over is the moment the old
 * copy is told to stop (the new one is ready and takes every new connection); the reload is
 * complete once the old copy has exited.
 */
import type { Note, Observer } from "../supervisor/notes.ts";

export function asSupervisorNotes(next: Observer): Observer {
  let serving = false;
  let started: number | undefined;
  return (n: Note) => {
    switch (n.event) {
      case "wrap_ready":
        serving = true;
        break;
      case "copy_started":
        if (serving && n.purpose === "reload") {
          started = n.copy;
          next({ event: "reload_started" });
          next({ event: "generation_starting", generation: n.copy, workers: 1 });
        }
        break;
      case "copy_stopping":
        if (n.why === "reload" && started !== undefined) next({ event: "cutover_complete", generation: started });
        break;
      case "wrap_reload_complete":
        next({ event: "reload_complete", generation: n.copy, workers: 1 });
        break;
    }
    next(n);
  };
}
