/**
 * POUNCE_TRACE_STARTUP=1: each process (supervisor and workers) prints `pounce-trace <step> <ms>`
 * on stderr at the steps of start-up, `<ms>` being wall-clock milliseconds (performance.timeOrigin +
 * performance.now(), one base for every process on the machine), so bench/tools/startup.mjs can say
 * where the time between spawn and the first 200 goes. Off, it costs one environment read.
 */
import process from "node:process";

const on = process.env.POUNCE_TRACE_STARTUP === "1";
let originDone = false;

/** Print `step` ("s-…" in the supervisor, "w-…" in a worker) now; the first call in a process also
 *  prints its origin (when the runtime started it) and, in the supervisor, when bin/pounce.mjs began. */
export function trace(step: string): void {
  if (!on) return;
  if (!originDone) {
    originDone = true;
    const who = step.slice(0, 1);
    line(`${who}-origin`, performance.timeOrigin);
    const bin = (globalThis as { __pounceBinAt?: number }).__pounceBinAt;
    if (bin !== undefined && who === "s") line("s-bin", bin);
  }
  line(step, performance.timeOrigin + performance.now());
}

function line(step: string, at: number): void {
  process.stderr.write(`pounce-trace ${step} ${at.toFixed(1)}\n`);
}
