import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { TrenchConfiguration } from './configuration.js';
import type { Conduit } from './conduit.js';
import { CONNECT_RETRY_DELAY, go, TIMEOUT, type Proc } from './process.js';
import { retryDo } from './retry.js';

/**
 * trench.conduitConnect (cc.ctxMu, L3): connects one Conduit in goroutine G-connect
 * (retry every 2 s, 15 s per attempt), then starts the VIP watcher; disconnect holds
 * cc.ctxMu for its whole body (§3.2, §3.6).
 */
export class ConduitConnect {
  private readonly ctxMu: Mutex;
  private readonly tcfg: TrenchConfiguration;
  private cancelOpen: (() => void) | undefined;

  constructor(
    private readonly p: Proc,
    readonly conduit: Conduit,
  ) {
    this.ctxMu = p.rt.mutex('cc.ctxMu');
    this.tcfg = new TrenchConfiguration(p, conduit.tap.trench, conduit.tap.name, (ctx, vips) => conduit.setVIPs(ctx, vips));
  }

  /** Spawns G-connect (`trench.(*conduitConnect).connect`). */
  start(): void {
    go(this.p, 'trench.(*conduitConnect).connect', () => this.connect());
  }

  *disconnect(ctx: Context): Go<string | undefined> {
    return yield* frame('trench.(*conduitConnect).disconnect', this.disconnectBody(ctx));
  }

  private *connect(): Go<void> {
    const { rt } = this.p;
    yield* this.ctxMu.lock();
    const { ctx, cancel } = rt.withCancel(rt.background());
    this.cancelOpen = cancel;
    this.ctxMu.unlock();
    const { conduit } = this;
    yield* retryDo(
      rt,
      ctx,
      'trench.(*conduitConnect).connect.func1',
      function* () {
        const attempt = rt.withTimeout(ctx, TIMEOUT);
        const err = yield* conduit.connect(attempt.ctx);
        attempt.cancel();
        return err;
      },
      { delayMs: CONNECT_RETRY_DELAY },
    );
    yield* this.ctxMu.lock();
    if (ctx.err() === undefined) yield* this.tcfg.watch();
    this.ctxMu.unlock();
  }

  private *disconnectBody(ctx: Context): Go<string | undefined> {
    yield* this.ctxMu.lock();
    try {
      this.cancelOpen?.();
      this.cancelOpen = undefined;
      yield* this.tcfg.stop();
      return yield* this.conduit.disconnect(ctx);
    } finally {
      this.ctxMu.unlock();
    }
  }
}
