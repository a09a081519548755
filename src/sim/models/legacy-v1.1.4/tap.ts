import type { TapStream } from '../../../core/wire.js';
import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { go, TIMEOUT, type Proc } from './process.js';
import type { Registry } from './registry.js';
import { Trench } from './trench.js';

/** Open's and Close's synchronous validation (§1.3 step 1). */
export function validate(s: TapStream): string | undefined {
  if (s.conduit === undefined) return 'conduit cannot be nil';
  if (s.conduit.trench === undefined) return 'trench cannot be nil';
  return undefined;
}

/**
 * tap.Tap (tap.mu, L1). Open holds tap.mu for the whole handler; Close validates, spawns
 * G-close (`tap.(*Tap).Close.func1`, which holds tap.mu for its whole body) and returns.
 */
export class Tap {
  private readonly mu: Mutex;
  private currentTrench: Trench | undefined;

  constructor(
    private readonly p: Proc,
    private readonly registry: Registry,
  ) {
    this.mu = p.rt.mutex('tap.mu');
  }

  *open(s: TapStream): Go<string | undefined> {
    return yield* frame('tap.(*Tap).Open', this.openBody(s));
  }

  /** Returns the validation error, or spawns G-close and returns undefined at once. */
  close(s: TapStream): string | undefined {
    const invalid = validate(s);
    if (invalid !== undefined) return invalid;
    go(this.p, 'tap.(*Tap).Close.func1', () => this.closeBody(s));
    return undefined;
  }

  /** §4.3: SIGTERM's Tap.Delete. QUIRKS kept: it takes no tap.mu and leaves currentTrench set. */
  *delete(ctx: Context): Go<void> {
    const trench = this.currentTrench;
    if (trench !== undefined) yield* frame('tap.(*Tap).Delete', trench.delete(ctx));
  }

  private *openBody(s: TapStream): Go<string | undefined> {
    yield* this.mu.lock();
    try {
      const invalid = validate(s);
      if (invalid !== undefined) return invalid;
      const trenchName = s.conduit!.trench!.name;
      if (this.currentTrench !== undefined && this.currentTrench.name !== trenchName) {
        return 'open failed to set trench: another trench is already connected';
      }
      this.currentTrench ??= new Trench(this.p, trenchName, this.registry);
      const conduit = yield* this.currentTrench.addConduit({ name: s.conduit!.name, trench: trenchName });
      yield* conduit.addStream(s);
      return undefined;
    } finally {
      this.mu.unlock();
    }
  }

  /** G-close, §1.4 step 3. */
  private *closeBody(s: TapStream): Go<void> {
    yield* this.mu.lock();
    try {
      const trench = this.currentTrench;
      const trenchName = s.conduit?.trench?.name ?? '';
      if (trench === undefined || trench.name !== trenchName) return;
      const { rt } = this.p;
      const { ctx, cancel } = rt.withTimeout(rt.background(), TIMEOUT);
      try {
        const name = { name: s.conduit?.name ?? '', trench: trenchName };
        const conduit = yield* trench.getConduit(name);
        if (conduit === undefined) return;
        yield* conduit.removeStream(ctx, s);
        if ((yield* conduit.getStreams()).length > 0) return;
        yield* trench.removeConduit(ctx, name);
        if ((yield* trench.getConduits()).length > 0) return;
        yield* trench.delete(ctx);
        this.currentTrench = undefined;
      } finally {
        cancel();
      }
    } finally {
      this.mu.unlock();
    }
  }
}
