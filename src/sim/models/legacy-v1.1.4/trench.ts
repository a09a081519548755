import type { TapStream } from '../../../core/wire.js';
import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { Conduit } from './conduit.js';
import type { ConduitConnect } from './conduit-connect.js';
import { go, TIMEOUT, type Proc } from './process.js';
import type { Registry } from './registry.js';

export interface ConduitName {
  readonly name: string;
  readonly trench: string;
}

/**
 * trench.Trench (trench.mu, L2): the conduits of the one trench, each behind a
 * conduitConnect. The NSP connection of the trench is not modelled (calls go straight
 * to the Environment), so Delete closes nothing at the end.
 */
export class Trench {
  private readonly mu: Mutex;
  private conduits: ConduitConnect[] = [];

  constructor(
    private readonly p: Proc,
    readonly name: string,
    private readonly registry: Registry,
  ) {
    this.mu = p.rt.mutex('trench.mu');
  }

  /** Returns the conduit, creating it and spawning G-connect if it is new. */
  *addConduit(c: ConduitName): Go<Conduit> {
    return yield* frame('trench.(*Trench).AddConduit', this.addBody(c));
  }

  *getConduit(c: ConduitName): Go<Conduit | undefined> {
    return yield* frame(
      'trench.(*Trench).GetConduit',
      this.locked(() => this.conduits.find((cc) => cc.conduit.equals(c))?.conduit),
    );
  }

  *getConduits(): Go<Conduit[]> {
    return yield* frame(
      'trench.(*Trench).GetConduits',
      this.locked(() => this.conduits.map((cc) => cc.conduit)),
    );
  }

  *removeConduit(ctx: Context, c: ConduitName): Go<void> {
    yield* frame('trench.(*Trench).RemoveConduit', this.removeBody(ctx, c));
  }

  *delete(ctx: Context): Go<void> {
    yield* frame('trench.(*Trench).Delete', this.deleteBody(ctx));
  }

  private *locked<R>(read: () => R): Go<R> {
    yield* this.mu.lock();
    const r = read();
    this.mu.unlock();
    return r;
  }

  private *addBody(c: ConduitName): Go<Conduit> {
    yield* this.mu.lock();
    let cc = this.conduits.find((x) => x.conduit.equals(c));
    if (cc === undefined) {
      cc = this.p.version.conduitConnect(this.p, new Conduit(this.p, c, this.registry));
      cc.start();
      this.conduits.push(cc);
    }
    this.mu.unlock();
    return cc.conduit;
  }

  private *removeBody(ctx: Context, c: ConduitName): Go<void> {
    yield* this.mu.lock();
    const i = this.conduits.findIndex((x) => x.conduit.equals(c));
    const cc = this.conduits[i];
    if (cc !== undefined) {
      yield* cc.disconnect(ctx);
      this.conduits.splice(i, 1);
    }
    this.mu.unlock();
  }

  /** §4.3: close every stream in parallel, then disconnect every conduit in parallel, under trench.mu. */
  private *deleteBody(ctx: Context): Go<void> {
    const { rt } = this.p;
    yield* this.mu.lock();
    const closing = rt.withTimeout(ctx, TIMEOUT);
    yield* frame('trench.(*Trench).closeStreams', this.closeStreams(closing.ctx));
    closing.cancel();
    const disconnecting = rt.withTimeout(ctx, TIMEOUT);
    yield* frame('trench.(*Trench).disconnectConduits', this.disconnectConduits(disconnecting.ctx));
    disconnecting.cancel();
    this.conduits = [];
    this.mu.unlock();
  }

  private *closeStreams(ctx: Context): Go<void> {
    const all: { conduit: Conduit; stream: TapStream }[] = [];
    for (const cc of this.conduits) for (const stream of yield* cc.conduit.getStreams()) all.push({ conduit: cc.conduit, stream });
    const wg = this.p.rt.waitGroup('trench.closeStreams.wg');
    wg.add(all.length);
    for (const { conduit, stream } of all) {
      go(this.p, 'trench.(*Trench).closeStreams.func1', function* () {
        yield* conduit.removeStream(ctx, stream);
        wg.done();
      });
    }
    yield* wg.wait();
  }

  private *disconnectConduits(ctx: Context): Go<void> {
    const all = [...this.conduits];
    const wg = this.p.rt.waitGroup('trench.disconnectConduits.wg');
    wg.add(all.length);
    for (const cc of all) {
      go(this.p, 'trench.(*Trench).disconnectConduits.func1', function* () {
        yield* cc.disconnect(ctx);
        wg.done();
      });
    }
    yield* wg.wait();
  }
}
