import type { Goroutine } from './goroutine.js';
import type { Mutex } from './mutex.js';
import type { Deadlock, WaitDescription } from './waitfor.js';

/**
 * Watches a Runtime's goroutines for a picture of the run (which goroutine held which
 * lock, and waited for whom). Every call happens inside the scheduler step that caused
 * it; the observer must not step the scheduler or touch the goroutines.
 */
export interface RuntimeObserver {
  /** `g` is about to run a step; `stack` is where it stands, innermost first, the op it completes on top. */
  stepping(g: Goroutine, stack: readonly string[]): void;
  acquired(g: Goroutine, mutex: Mutex): void;
  /** Whoever unlocks it: Go lets another goroutine unlock a mutex. */
  released(mutex: Mutex): void;
  /** `g` cannot go on; `wait` names what it waits for and on whom. */
  parked(g: Goroutine, wait: WaitDescription): void;
  deadlocked(deadlock: Deadlock): void;
}
