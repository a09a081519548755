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
  protected readonly ctxMu: Mutex;
  private readonly tcfg: TrenchConfiguration;
  private cancelOpen: (() => void) | undefined;

  constructor(
    protected readonly p: Proc,
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

  /** G-connect's body; v1.1.4 retries with cc.ctxMu released, so a disconnect can cancel the retries. */
  protected *connect(): Go<void> {
    yield* this.ctxMu.lock();
    const ctx = this.openContext();
    this.ctxMu.unlock();
    yield* this.retryConnect(ctx);
    yield* this.ctxMu.lock();
    yield* this.watchIfOpen(ctx);
    this.ctxMu.unlock();
  }

  /** Under cc.ctxMu: the context a disconnect cancels. */
  protected openContext(): Context {
    const { rt } = this.p;
    const { ctx, cancel } = rt.withCancel(rt.background());
    this.cancelOpen = cancel;
    return ctx;
  }

  protected *retryConnect(ctx: Context): Go<void> {
    yield* retryDo(this.p.rt, ctx, 'trench.(*conduitConnect).connect.func1', () => this.attempt(ctx), { delayMs: CONNECT_RETRY_DELAY });
  }

  /** One Conduit.Connect of at most MERIDIO_TIMEOUT. */
  protected *attempt(ctx: Context): Go<string | undefined> {
    const attempt = this.p.rt.withTimeout(ctx, TIMEOUT);
    const err = yield* this.conduit.connect(attempt.ctx);
    attempt.cancel();
    return err;
  }

  /** Under cc.ctxMu: the VIP watcher starts unless a disconnect came first. */
  protected *watchIfOpen(ctx: Context): Go<void> {
    if (ctx.err() === undefined) yield* this.tcfg.watch();
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
