import { currentGoroutine, type Goroutine } from './goroutine.js';
import { ModelError } from './modelerror.js';

/** Waiting for a `sync.Mutex`. */
export interface LockOp {
  readonly kind: 'lock';
  readonly mutex: Mutex;
}

/** What a Mutex needs from its Runtime (runtime.ts). */
interface MutexRuntime {
  readonly observer: { released(mutex: Mutex): void } | undefined;
  touch(what: Mutex): void;
  changed(): void;
}

/**
 * A Go `sync.Mutex`: non-reentrant, not FIFO, not context-aware. When it is released,
 * every goroutine waiting for it becomes runnable and the scheduler picks which one gets
 * it (the others park again), which covers Go's barging and starvation-mode orders.
 * Create it with `Runtime.mutex`.
 */
export class Mutex {
  /** Lock class for lockdep and reports: give every instance of one Go field the same name (`stream.mu`). */
  readonly name: string;
  /** @internal */ holder: Goroutine | undefined;
  /** @internal */ locked = false;
  /** @internal The runtime's tick when it was last taken or released. */
  changedAt = 0;
  private readonly rt: MutexRuntime;

  /** @internal Use `Runtime.mutex`. */
  constructor(rt: MutexRuntime, name: string) {
    this.rt = rt;
    this.name = name;
  }

  /** The goroutine that holds it, if it is locked. */
  get owner(): Goroutine | undefined {
    return this.holder;
  }

  /** `mu.Lock()`: `yield* mu.lock()`. Locking a mutex the goroutine already holds is a ModelError at once. */
  *lock(): Generator<LockOp, void, unknown> {
    yield { kind: 'lock', mutex: this };
  }

  /** `mu.Unlock()`. Unlocking an unlocked mutex is a ModelError (Go: fatal error). */
  unlock(): void {
    if (!this.locked) {
      const g = currentGoroutine();
      throw new ModelError(`sync: unlock of unlocked mutex ${this.name}`, g && { goroutine: g.actor, stack: g.stack });
    }
    // Go lets another goroutine unlock; the lock then leaves the holder's list.
    const holder = this.holder;
    if (holder !== undefined) {
      const i = holder.held.findIndex((h) => h.mutex === this);
      if (i >= 0) holder.held.splice(i, 1);
    }
    this.locked = false;
    this.holder = undefined;
    this.rt.touch(this);
    this.rt.observer?.released(this);
    this.rt.changed();
  }

  /** `mu.Lock(); defer mu.Unlock(); body`: unlocks also when the body throws. */
  *withLock<Y, R>(body: Generator<Y, R, unknown>): Generator<Y | LockOp, R, unknown> {
    yield* this.lock();
    try {
      return yield* body;
    } finally {
      this.unlock();
    }
  }
}
