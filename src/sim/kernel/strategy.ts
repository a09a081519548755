import type { Task } from './task.js';

/**
 * Decides which ready task runs next. A strategy may keep state (a step counter, an
 * rng) but must be a function of its spec and the ready lists it was shown, so that
 * the recorded choices replay the run. The strategies are built from their plain-data
 * spec by `createStrategy` (strategy-spec.ts).
 */
export interface Strategy {
  readonly name: string;
  /**
   * An index into `ready`, which is never empty: messages in id order, then the ready
   * timers. The list is the scheduler's own, valid during the call only: keep a copy.
   */
  choose(ready: readonly Task[], now: number): number;
}
