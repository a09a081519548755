import type { Strategy } from './strategy.js';
import type { Task } from './task.js';

/**
 * A schedule as a plain list of numbers, for fast-check to generate and shrink. Step i
 * takes `choices[i]` modulo the number of ready tasks, and past the end of the list
 * takes the first ready task; so every list is a valid schedule, and fast-check's
 * shrinking toward shorter lists of zeros is shrinking toward the fifo schedule, the
 * smallest deviation from the plain order that still fails.
 */
export class ChoicesStrategy implements Strategy {
  readonly name: string;
  private readonly list: readonly number[];
  private step = 0;

  constructor(choices: readonly number[]) {
    for (const c of choices) {
      if (!Number.isSafeInteger(c)) throw new RangeError(`ChoicesStrategy: bad choice ${c}`);
    }
    this.list = [...choices];
    this.name = `choices(${this.list.length})`;
  }

  choose(ready: readonly Task[]): number {
    return taken(this.list[this.step++], ready.length);
  }
}

/** The index a list's value takes among `ready` tasks, or past the list's end (undefined), the first. */
export function taken(choice: number | undefined, ready: number): number {
  return choice === undefined ? 0 : ((choice % ready) + ready) % ready;
}
