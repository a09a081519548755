import type { CallError } from '../../../core/index.js';
import { recvCase, select, type Chan, type Context, type Go, type Runtime } from '../../goroutine/index.js';
import type { Outcome } from '../../world/ports.js';

function ctxError(ctx: Context): CallError {
  const err = ctx.err();
  return err === 'context deadline exceeded'
    ? { code: 'DEADLINE_EXCEEDED', message: err }
    : { code: 'CANCELLED', message: err ?? 'context canceled' };
}

/**
 * A unary RPC: `start` hands the request to the Environment, which calls `done` later on
 * a task of this TAPA's actor; meanwhile the goroutine parks on a fresh capacity-1
 * channel. Nobody is registered as its sender, so the runtime treats the wait as
 * external and never reports it as a deadlock (an RPC can always still answer). With a
 * context, the wait is a select that also ends when the context does, as grpc-go does.
 */
export function* call<T>(rt: Runtime, name: string, start: (done: (o: Outcome<T>) => void) => void, ctx?: Context): Go<Outcome<T>> {
  if (ctx !== undefined && ctx.err() !== undefined) return { ok: false, error: ctxError(ctx) };
  const ch = rt.chan<Outcome<T>>(`rpc ${name}`, 1);
  start((o) => {
    ch.trySend(o);
  });
  if (ctx === undefined) {
    const r = yield* ch.recv();
    return r.ok ? r.value : { ok: false, error: { code: 'UNAVAILABLE', message: 'rpc channel closed' } };
  }
  const r = yield* select(recvCase(ch), recvCase(ctx.done()));
  if (r.index === 0 && r.ok) return r.value;
  return { ok: false, error: ctxError(ctx) };
}

export type StreamItem<T> = { readonly value: T } | { readonly error: CallError };

/**
 * The receive side of a server stream (NSP watch, NSM monitor): the Environment pushes
 * messages into a queue (nothing is lost, order is kept) and pokes a capacity-1 signal
 * channel; `receive` is `stream.Recv()` with the stream's context.
 */
export class Inbox<T> {
  private readonly queue: StreamItem<T>[] = [];
  private readonly signal: Chan<undefined>;

  constructor(rt: Runtime, name: string) {
    this.signal = rt.chan<undefined>(name, 1);
  }

  readonly push = (value: T): void => {
    this.queue.push({ value });
    this.signal.trySend(undefined);
  };

  readonly end = (error: CallError): void => {
    this.queue.push({ error });
    this.signal.trySend(undefined);
  };

  /** The next message or the stream's end; undefined once `ctx` is done. */
  *receive(ctx: Context): Go<StreamItem<T> | undefined> {
    for (;;) {
      if (ctx.err() !== undefined) return undefined;
      const next = this.queue.shift();
      if (next !== undefined) return next;
      const r = yield* select(recvCase(this.signal), recvCase(ctx.done()));
      if (r.index === 1) return undefined;
    }
  }
}
