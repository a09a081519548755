import type { Strategy } from './strategy.js';

/** The plain order: whatever was created first runs first. */
export class FifoStrategy implements Strategy {
  readonly name = 'fifo';

  choose(): number {
    return 0;
  }
}
