import type { Strategy } from './strategy.js';
import type { Task } from './task.js';

/**
 * The run being replayed no longer matches its recording: the code or the scenario
 * changed. A replay that quietly picked some other task would "pass" while showing a
 * different run than the one in the bug report, so it stops here instead.
 */
export class Divergence extends Error {
  /** Step number from 0, as in the log's `seq`. */
  readonly step: number;

  constructor(step: number, message: string) {
    super(`replay diverged at step ${step}: ${message}`);
    this.name = 'Divergence';
    this.step = step;
  }
}

/** Plays back a recorded choice list exactly, and refuses to guess. */
export class ReplayStrategy implements Strategy {
  readonly name: string;
  private readonly list: readonly number[];
  private step = 0;

  constructor(choices: readonly number[]) {
    this.list = [...choices];
    this.name = `replay(${this.list.length})`;
  }

  /** Recorded choices not yet used. */
  get remaining(): number {
    return this.list.length - this.step;
  }

  choose(ready: readonly Task[]): number {
    const step = this.step;
    const index = this.list[step];
    if (index === undefined) {
      throw new Divergence(step, `the recording ran out after ${this.list.length} choices, with ${readyList(ready)}`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= ready.length) {
      throw new Divergence(step, `the recording chose index ${index}, out of range for ${readyList(ready)}`);
    }
    this.step++;
    return index;
  }

  /**
   * The scheduler cannot tell a strategy that the world went idle, so the caller asks
   * after the run: a recording with choices left over describes a longer run.
   */
  assertComplete(): void {
    if (this.remaining > 0) {
      throw new Divergence(this.step, `the run stopped but the recording has ${this.remaining} more choices`);
    }
  }
}

function readyList(ready: readonly Task[]): string {
  const shown = ready.slice(0, 5).map((t) => `${t.actor}: ${t.label}`);
  if (ready.length > shown.length) shown.push('...');
  return `${ready.length} ready task${ready.length === 1 ? '' : 's'} (${shown.join('; ')})`;
}
