import { assertNever } from '../../core/exhaustive.js';
import { ChoicesStrategy } from './choices.js';
import { FifoStrategy } from './fifo.js';
import { PctStrategy } from './pct.js';
import { RandomStrategy } from './random.js';
import { ReplayStrategy } from './replay.js';
import type { Task } from './task.js';

/**
 * Decides which ready task runs next. A strategy may keep state (a step counter, an
 * rng) but must be a function of its spec and the ready lists it was shown, so that
 * the recorded choices replay the run.
 */
export interface Strategy {
  readonly name: string;
  /** An index into `ready`, which is never empty: messages in id order, then the ready timers. */
  choose(ready: readonly Task[], now: number): number;
}

/** Plain data, so a trace file can say which strategy produced it. */
export type StrategySpec =
  | { readonly kind: 'fifo' }
  | { readonly kind: 'random'; readonly seed: number }
  | { readonly kind: 'pct'; readonly seed: number; readonly depth?: number; readonly maxSteps?: number }
  | { readonly kind: 'replay'; readonly choices: readonly number[] }
  | { readonly kind: 'choices'; readonly choices: readonly number[] };

export function createStrategy(spec: StrategySpec): Strategy {
  switch (spec.kind) {
    case 'fifo':
      return new FifoStrategy();
    case 'random':
      return new RandomStrategy(spec.seed);
    case 'pct':
      return new PctStrategy(spec.seed, spec.depth, spec.maxSteps);
    case 'replay':
      return new ReplayStrategy(spec.choices);
    case 'choices':
      return new ChoicesStrategy(spec.choices);
    default:
      return assertNever(spec);
  }
}
