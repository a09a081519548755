import { createRng, nextInt, type RngState } from '../../core/rng.js';
import type { Strategy } from './strategy.js';
import type { Task } from './task.js';

/** A random walk: each step picks uniformly among the ready tasks. */
export class RandomStrategy implements Strategy {
  readonly name: string;
  private readonly rng: RngState;

  constructor(seed: number) {
    this.name = `random(seed=${seed})`;
    this.rng = createRng(seed);
  }

  choose(ready: readonly Task[]): number {
    // Draws even when only one task is ready, so the sequence of draws is one per step
    // and easy to reason about when comparing two seeds.
    return nextInt(this.rng, ready.length);
  }
}
