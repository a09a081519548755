import { initialState, step, type CoreConfig, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';

/**
 * One event queue in front of the core: events are handled one at a time, in arrival
 * order, and an event raised while effects run (a call failing at once) waits its turn.
 */
export class Runtime {
  readonly state: TapaState;
  private readonly queue: TapaEvent[] = [];
  private draining = false;
  /** When the event now being handled arrived (0: idle); for the health check. */
  private busySince = 0;

  constructor(seed: number, config: Partial<CoreConfig>, private readonly execute: (effect: TapaEffect) => void, private readonly now: () => number = Date.now) {
    this.state = initialState(seed, config);
  }

  dispatch(event: TapaEvent): void {
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        this.busySince = this.now();
        for (const effect of step(this.state, next).effects) this.execute(effect);
      }
    } finally {
      this.draining = false;
      this.busySince = 0;
    }
  }

  /** How long the event being handled has taken so far (0 when idle). */
  busyFor(): number {
    return this.busySince === 0 ? 0 : this.now() - this.busySince;
  }
}
