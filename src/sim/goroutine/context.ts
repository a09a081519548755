import type { Chan } from './chan.js';

/** What `ctx.Err()` returns once the context is done. */
export type ContextError = 'context canceled' | 'context deadline exceeded';

/**
 * A Go `context.Context`, reduced to what lock-level models use: a done channel that is
 * closed when the context is cancelled or its deadline (virtual ms) passes, `err()`,
 * and propagation to children. As in Go, nothing but code that selects on `done()`
 * notices a cancellation: a goroutine parked in `Mutex.lock` or `WaitGroup.wait` stays
 * there (Meridio #578). Create one with `Runtime.background`, `withCancel`, `withTimeout`.
 */
export class Context {
  /** `context.Background`, or `ctx#n`; the done channel is `<name>.Done`. */
  readonly name: string;
  /** Virtual ms at which it expires, if it or an ancestor has a deadline. */
  readonly deadline: number | undefined;
  private readonly doneCh: Chan<never>;
  private error: ContextError | undefined;
  private parent: Context | undefined;
  private readonly children = new Set<Context>();
  /** @internal The scheduler id of the deadline timer. */
  timer: number | undefined;
  private readonly stopTimer: (id: number) => void;

  /** @internal Use the Runtime's constructors. */
  constructor(
    name: string,
    doneCh: Chan<never>,
    parent: Context | undefined,
    deadline: number | undefined,
    stopTimer: (id: number) => void,
  ) {
    this.name = name;
    this.doneCh = doneCh;
    this.deadline = deadline;
    this.stopTimer = stopTimer;
    if (parent === undefined) return;
    if (parent.error !== undefined) {
      this.parent = undefined;
      this.cancel(parent.error);
      return;
    }
    this.parent = parent;
    parent.children.add(this);
  }

  /** `ctx.Done()`: closed when the context ends; receive from it or select on it. */
  done(): Chan<never> {
    return this.doneCh;
  }

  /** `ctx.Err()`: undefined while the context is live. */
  err(): ContextError | undefined {
    return this.error;
  }

  /** @internal Cancels it and its descendants; later calls do nothing, as in Go. */
  cancel(err: ContextError): void {
    if (this.error !== undefined) return;
    this.error = err;
    if (this.timer !== undefined) this.stopTimer(this.timer);
    this.timer = undefined;
    this.parent?.children.delete(this);
    this.parent = undefined;
    this.doneCh.close();
    for (const child of [...this.children]) child.cancel(err);
  }
}

/** `ctx, cancel := context.WithCancel(parent)` (or WithTimeout). */
export interface CancelableContext {
  readonly ctx: Context;
  /** Cancels with "context canceled"; idempotent; callable from anywhere. */
  readonly cancel: () => void;
}
