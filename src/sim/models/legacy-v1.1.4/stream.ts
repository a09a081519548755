import type { NspStream, NspTarget, TapStream } from '../../../core/wire.js';
import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import type { Outcome } from '../../world/ports.js';
import { randomIn, toNspStream, type Proc } from './process.js';
import { call } from './rpc.js';

/** The back-reference a Stream holds to its Conduit: the E18 edge (s.mu → conduit.mu). */
export interface IPSource {
  getIPs(): Go<string[]>;
}

const NO_IDENTIFIER = 'no identifier available to register the target';

/** Go's sameIps: equal length and every element of b in the set of a. */
function sameIps(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((x) => set.has(x));
}

/**
 * stream.Stream (s.mu, L9): one NSP target. Open and Close hold s.mu for their whole
 * body, NSP RPCs included; Open starts with Conduit.GetIPs, which takes conduit.mu.
 */
export class Stream {
  private readonly mu: Mutex;
  private ips: string[] = [];
  private identifier = -1;
  private status: 'ENABLED' | 'DISABLED' = 'DISABLED';

  constructor(
    private readonly p: Proc,
    readonly tap: TapStream,
    private readonly conduit: IPSource,
  ) {
    this.mu = p.rt.mutex('stream.mu');
  }

  *open(ctx: Context, nsp: NspStream): Go<string | undefined> {
    return yield* frame('stream.(*Stream).Open', this.openBody(ctx, nsp));
  }

  *close(ctx: Context): Go<string | undefined> {
    return yield* frame('stream.(*Stream).Close', this.closeBody(ctx));
  }

  private *openBody(ctx: Context, nsp: NspStream): Go<string | undefined> {
    yield* this.mu.lock();
    try {
      this.ips = yield* this.conduit.getIPs();
      if (this.ips.length === 0) return 'ips not set';
      const max = nsp.maxTargets;
      if (this.status === 'ENABLED' && this.identifier >= 1 && this.identifier <= max) return yield* this.refresh(ctx, max);
      return yield* this.register(ctx, max);
    } finally {
      this.mu.unlock();
    }
  }

  private *closeBody(ctx: Context): Go<string | undefined> {
    let err: string | undefined;
    yield* this.mu.lock();
    try {
      if (this.identifier >= 0) {
        const r = yield* this.rpcUnregister(ctx);
        if (!r.ok) err = r.error.message;
      }
    } finally {
      this.mu.unlock();
    }
    // BUG kept from Go: the reset runs after s.mu is released (deferred order).
    this.status = 'DISABLED';
    this.identifier = -1;
    return err;
  }

  /** Go's `open`: register DISABLED, check for an identifier collision, then ENABLED. */
  private *register(ctx: Context, max: number): Go<string | undefined> {
    if (this.status !== 'DISABLED') return undefined;
    let ids = yield* this.idsInUse(ctx);
    if (typeof ids === 'string') return ids;
    if (ids.length >= max) return NO_IDENTIFIER;
    if (this.identifier <= 0) this.identifier = this.pick(ids, max);
    let r = yield* this.rpcRegister(ctx, 'DISABLED');
    if (!r.ok) return r.error.message;
    for (;;) {
      if (ctx.err() !== undefined) return 'context error during open';
      ids = yield* this.idsInUse(ctx);
      if (typeof ids === 'string') return ids;
      if (ids.length >= max) {
        yield* this.rpcUnregister(ctx);
        return NO_IDENTIFIER;
      }
      if (!ids.includes(String(this.identifier))) break;
      yield* this.rpcUnregister(ctx);
      this.identifier = this.pick(ids, max);
      r = yield* this.rpcRegister(ctx, 'DISABLED');
      if (!r.ok) return r.error.message;
    }
    this.status = 'ENABLED';
    r = yield* this.rpcRegister(ctx, 'ENABLED');
    return r.ok ? undefined : r.error.message;
  }

  private *refresh(ctx: Context, max: number): Go<string | undefined> {
    const r = yield* this.rpcRegister(ctx, 'ENABLED');
    if (!r.ok) return r.error.message;
    const t = yield* this.rpcTargets(ctx);
    if (!t.ok) return t.error.message;
    const mine = t.value.find((x) => sameIps(x.ips, this.ips));
    if (mine?.status === 'ENABLED') return undefined;
    // Expired at the NSP, which re-created the target DISABLED: open again, same identifier.
    this.status = 'DISABLED';
    return yield* this.register(ctx, max);
  }

  private pick(ids: readonly string[], max: number): number {
    const used = new Set(ids);
    for (;;) {
      const n = randomIn(this.p, max);
      if (!used.has(String(n))) return n;
    }
  }

  private *idsInUse(ctx: Context): Go<string[] | string> {
    const t = yield* this.rpcTargets(ctx);
    if (!t.ok) return t.error.message;
    return t.value.filter((x) => !sameIps(this.ips, x.ips)).map((x) => x.context['identifier'] ?? '');
  }

  private target(status: 'ENABLED' | 'DISABLED'): NspTarget {
    return {
      ips: [...this.ips],
      context: { identifier: String(this.identifier) },
      status,
      type: 'DEFAULT',
      stream: toNspStream(this.tap),
    };
  }

  private rpcRegister(ctx: Context, status: 'ENABLED' | 'DISABLED'): Go<Outcome<void>> {
    const { env, spec, rt } = this.p;
    const target = this.target(status);
    const label = `${spec.name} register ${this.tap.name} ${target.ips.join(',')} id=${this.identifier} ${status}`;
    return call<void>(rt, 'TargetRegistry.Register', (done) => env.register(spec.name, label, target, done), ctx);
  }

  private rpcUnregister(ctx: Context): Go<Outcome<void>> {
    const { env, spec, rt } = this.p;
    const target = this.target(this.status);
    const label = `${spec.name} unregister ${this.tap.name} ${target.ips.join(',')} id=${this.identifier}`;
    return call<void>(rt, 'TargetRegistry.Unregister', (done) => env.unregister(spec.name, label, target, done), ctx);
  }

  private rpcTargets(ctx: Context): Go<Outcome<NspTarget[]>> {
    const { env, spec, rt } = this.p;
    const filter: NspTarget = { ips: [], context: {}, status: 'ANY', type: 'DEFAULT', stream: toNspStream(this.tap) };
    return call<NspTarget[]>(
      rt,
      'TargetRegistry.Watch',
      (done) => env.targets(spec.name, `${spec.name} targets ${this.tap.name}`, filter, done),
      ctx,
    );
  }
}
