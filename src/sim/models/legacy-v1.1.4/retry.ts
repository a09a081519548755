import { frame, recvCase, select, type Context, type Go, type Runtime } from '../../goroutine/index.js';

export interface RetryOptions {
  readonly delayMs: number;
  /** `retry.WithErrorIngnored()`: go on after a success too, until the context ends. */
  readonly ignoreErrors?: boolean;
}

/**
 * `retry.Do` (reference §4.5): run `fn` first, even if the context is already done;
 * remember the last error; stop on success unless errors are ignored; otherwise wait for
 * the delay or the context, whichever comes first (both ready: the strategy picks, as
 * Go's select picks at random, so one extra round can follow a cancel). `fnName` is the
 * Go closure (`conduit.(*streamRetry).Open.func1.1`), framed below `retry.Do` as in a dump.
 * Go's delay helper goroutine is a `time.After` channel here.
 */
export function* retryDo(
  rt: Runtime,
  ctx: Context,
  fnName: string,
  fn: () => Go<string | undefined>,
  options: RetryOptions,
): Go<string | undefined> {
  return yield* frame('retry.Do', loop(rt, ctx, fnName, fn, options));
}

function* loop(rt: Runtime, ctx: Context, fnName: string, fn: () => Go<string | undefined>, options: RetryOptions): Go<string | undefined> {
  let last: string | undefined;
  for (;;) {
    const err = yield* frame(fnName, fn());
    if (err !== undefined) last = err;
    if (!options.ignoreErrors && err === undefined) return undefined;
    const r = yield* select(recvCase(rt.after(options.delayMs)), recvCase(ctx.done()));
    if (r.index === 1) return last;
  }
}
