/**
 * The model did something Go forbids, raised at the exact step that does it: locking a
 * mutex the goroutine already holds, unlocking an unlocked mutex, a negative WaitGroup
 * counter, sending on or closing a closed channel, or a goroutine body that threw. Go
 * would deadlock, panic or crash there; a model that does it is wrong, not unlucky, so
 * the run stops (the error escapes `Scheduler.step`) instead of carrying on.
 */
export class ModelError extends Error {
  /** The goroutine's unique name, when a goroutine did it. */
  readonly goroutine: string | undefined;
  /** Its stack at that moment, innermost first. */
  readonly goStack: readonly string[];

  constructor(message: string, where?: { goroutine: string; stack: readonly string[] }, cause?: unknown) {
    const at = where === undefined ? '' : ` (in ${where.goroutine}: ${where.stack.join(' <- ')})`;
    super(`${message}${at}`, cause === undefined ? undefined : { cause });
    this.name = 'ModelError';
    this.goroutine = where?.goroutine;
    this.goStack = where?.stack ?? [];
  }
}
