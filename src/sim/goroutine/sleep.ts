import type { Go } from './op.js';

/**
 * `time.Sleep(ms)` in virtual milliseconds: `yield* sleep(1000)`. The goroutine's next
 * step is a scheduler timer, so the clock moves only when the strategy fires it.
 */
export function* sleep(ms: number): Go<void> {
  yield { kind: 'sleep', ms };
}
