/**
 * The run-to-completion loop the supervisor and `pounce wrap` share: an event is handled, then the
 * reconcile step decides what follows from the state alone and arms the one alarm for its next
 * deadline (which comes back as a `timer` event). An event raised while one is being handled (by a
 * handler, an observer, an adapter call) waits its turn; none is handled once the owner has exited.
 */
import { Alarm, type Clock } from "./clock.ts";

export interface EventLoopSteps<E> {
  /** The event the alarm raises. */
  readonly timer: E;
  handle(event: E): void;
  /** Returns the next deadline (ms since the epoch), or undefined for none. */
  reconcile(): number | undefined;
  exited(): boolean;
}

export class EventLoop<E> {
  readonly #steps: EventLoopSteps<E>;
  readonly #alarm: Alarm;
  readonly #queue: E[] = [];
  #running = false;

  constructor(clock: Clock, steps: EventLoopSteps<E>) {
    this.#steps = steps;
    this.#alarm = new Alarm(clock, () => this.dispatch(steps.timer));
  }

  dispatch(event: E): void {
    this.#queue.push(event);
    if (this.#running) return;
    this.#running = true;
    try {
      for (let e = this.#queue.shift(); e !== undefined; e = this.#queue.shift()) {
        if (this.#steps.exited()) continue;
        this.#steps.handle(e);
        const wakeAt = this.#steps.reconcile();
        if (!this.#steps.exited()) this.#alarm.set(wakeAt);
      }
    } finally {
      this.#running = false;
    }
  }

  /** The owner exits: no more wake-ups. */
  stop(): void {
    this.#alarm.set(undefined);
  }
}
