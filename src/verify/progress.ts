/**
 * The progress line on stderr while verify runs, only on a terminal: the step, requests sent and
 * failed so far (errors and 5xx; a wrong version is only known at the end). Redrawn a few times a second; cleared at the end.
 */
import type { LoadGenerator } from "./load-generator.ts";
import type { Step } from "./scenario.ts";

const WIDTH = 24;

export class Progress {
  readonly #out: { isTTY?: boolean; write(s: string): unknown };
  readonly #totalSteps: number;
  #done = -1;
  #label = "";
  #load: LoadGenerator | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `totalSteps`: start, the reloads, the bad deploy and the shutdown. */
  constructor(out: { isTTY?: boolean; write(s: string): unknown }, totalSteps: number) {
    this.#out = out;
    this.#totalSteps = totalSteps;
  }

  step(s: Step, load?: LoadGenerator): void {
    if (!this.#out.isTTY) return;
    this.#load = load ?? this.#load;
    if (s.kind === "steady") {
      if (this.#label === "starting") this.#label = "steady";
      this.#draw();
      return;
    }
    this.#done++;
    this.#label =
      s.kind === "start" ? "starting" : s.kind === "reload" ? `reload ${s.number}` : s.kind === "bad" ? "bad deploy" : "shutdown";
    this.#timer ??= setInterval(() => this.#draw(), 250);
    this.#draw();
  }

  #draw(): void {
    const filled = Math.round((Math.max(0, this.#done) / this.#totalSteps) * WIDTH);
    const samples = this.#load?.samples ?? [];
    let lost = 0;
    for (const s of samples)
      if (s.error !== null && s.error !== "unsent") lost++;
      else if (s.status !== null && s.status >= 500) lost++;
    const sent = this.#load?.scheduled ?? 0;
    this.#out.write(
      `\r\x1b[K[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${this.#label} · ${sent} sent · ${lost} failed`,
    );
  }

  end(): void {
    clearInterval(this.#timer);
    if (this.#out.isTTY) this.#out.write("\r\x1b[K");
  }
}
