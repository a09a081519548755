import { assertNever } from '../../core/exhaustive.js';
import { ChoicesStrategy } from './choices.js';
import { FifoStrategy } from './fifo.js';
import { PctStrategy } from './pct.js';
import { RandomStrategy } from './random.js';
import { ReplayStrategy } from './replay.js';
import type { Strategy } from './strategy.js';

/** Plain data, so a trace file can say which strategy produced it. */
export type StrategySpec =
  | { readonly kind: 'fifo' }
  | { readonly kind: 'random'; readonly seed: number }
  | { readonly kind: 'pct'; readonly seed: number; readonly depth?: number; readonly maxSteps?: number }
  | { readonly kind: 'replay'; readonly choices: readonly number[] }
  | { readonly kind: 'choices'; readonly choices: readonly number[] };

/** The strategy a spec names, fresh: two strategies of one spec choose alike. */
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
