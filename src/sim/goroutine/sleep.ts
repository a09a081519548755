/** `time.Sleep`, in virtual milliseconds. */
export interface SleepOp {
  readonly kind: 'sleep';
  readonly ms: number;
}

/**
 * `time.Sleep(ms)` in virtual milliseconds: `yield* sleep(1000)`. The goroutine's next
 * step is a scheduler timer, so the clock moves only when the strategy fires it.
 */
export function* sleep(ms: number): Generator<SleepOp, void, unknown> {
  yield { kind: 'sleep', ms };
}
