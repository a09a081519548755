import type { NspStream } from '../../../core/wire.js';
import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { go, NSP_ENTRY_TIMEOUT, PENDING_TIME, STREAM_RETRY_DELAY, type Proc } from './process.js';
import type { Registry } from './registry.js';
import { retryDo } from './retry.js';
import type { Stream } from './stream.js';

/**
 * conduit.streamRetry (sr.ctxMu, L8): drives Stream.Open from goroutine G-open
 * (`conduit.(*streamRetry).Open.func1`): an outer refresh loop every NSPEntryTimeout
 * around an inner 1 s retry loop of 15 s attempts (reference §2.4).
 */
export class StreamRetry {
  private readonly ctxMu: Mutex;
  private cancelOpen: (() => void) | undefined;

  constructor(
    private readonly p: Proc,
    readonly stream: Stream,
    private readonly registry: Registry,
  ) {
    this.ctxMu = p.rt.mutex('sr.ctxMu');
  }

  *open(nsp: NspStream): Go<void> {
    yield* frame('conduit.(*streamRetry).Open', this.openBody(nsp));
  }

  *close(ctx: Context): Go<void> {
    yield* frame('conduit.(*streamRetry).Close', this.closeBody(ctx));
  }

  private *openBody(nsp: NspStream): Go<void> {
    yield* this.ctxMu.lock();
    if (this.cancelOpen !== undefined) {
      // An Open is running; the new nspStream is ignored (QUIRK).
      this.ctxMu.unlock();
      return;
    }
    const { rt } = this.p;
    const { ctx, cancel } = rt.withCancel(rt.background());
    this.cancelOpen = cancel;
    this.ctxMu.unlock();
    const { stream, registry } = this;
    go(this.p, 'conduit.(*streamRetry).Open.func1', function* () {
      yield* retryDo(
        rt,
        ctx,
        'conduit.(*streamRetry).Open.func1.1',
        function* () {
          return yield* retryDo(
            rt,
            ctx,
            'conduit.(*streamRetry).Open.func1.1.1',
            function* () {
              const attempt = rt.withTimeout(ctx, PENDING_TIME);
              const err = yield* stream.open(attempt.ctx, nsp);
              attempt.cancel();
              // §2.4: a failure caused by the cancellation (Close) sets no status.
              if (err === undefined) yield* registry.setStatus(stream.tap, 'OPEN');
              else if (ctx.err() === undefined) yield* registry.setStatus(stream.tap, 'UNAVAILABLE');
              return err;
            },
            { delayMs: STREAM_RETRY_DELAY },
          );
        },
        { delayMs: NSP_ENTRY_TIMEOUT, ignoreErrors: true },
      );
    });
  }

  private *closeBody(ctx: Context): Go<void> {
    yield* this.ctxMu.lock();
    try {
      this.cancelOpen?.();
      yield* this.stream.close(ctx);
    } finally {
      this.cancelOpen = undefined;
      this.ctxMu.unlock();
    }
  }
}
