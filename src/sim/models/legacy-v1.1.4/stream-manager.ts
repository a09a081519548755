import type { NspStream, TapStream } from '../../../core/wire.js';
import { frame, type Context, type Go, type Mutex } from '../../goroutine/index.js';
import { fullName, go, nspFullName, PENDING_TIME, type Proc } from './process.js';
import type { Registry } from './registry.js';
import { Stream, type IPSource } from './stream.js';
import { StreamRetry } from './stream-retry.js';

/**
 * conduit.streamManager (sm.mu, L7): the streams of one conduit, keyed by FullName, and
 * the latest NSP stream list. Stop closes every stream in parallel (one G-closer each)
 * and waits on a WaitGroup while holding sm.mu (reference §1.3, §1.6, §5.4).
 */
export class StreamManager {
  private readonly mu: Mutex;
  private readonly streams = new Map<string, StreamRetry>();
  private conduitStreams = new Map<string, NspStream>();
  private running = false;

  constructor(
    private readonly p: Proc,
    private readonly conduit: IPSource,
    private readonly registry: Registry,
  ) {
    this.mu = p.rt.mutex('sm.mu');
  }

  *addStream(s: TapStream): Go<void> {
    yield* frame('conduit.(*streamManager).AddStream', this.addBody(s));
  }

  *removeStream(ctx: Context, s: TapStream): Go<void> {
    yield* frame('conduit.(*streamManager).RemoveStream', this.removeBody(ctx, s));
  }

  *getStreams(): Go<TapStream[]> {
    return yield* frame('conduit.(*streamManager).GetStreams', this.getBody());
  }

  *setStreams(list: readonly NspStream[]): Go<void> {
    yield* frame('conduit.(*streamManager).SetStreams', this.setBody(list));
  }

  *run(): Go<void> {
    yield* frame('conduit.(*streamManager).Run', this.runBody());
  }

  *stop(ctx: Context): Go<void> {
    yield* frame('conduit.(*streamManager).Stop', this.stopBody(ctx));
  }

  private *addBody(s: TapStream): Go<void> {
    yield* this.mu.lock();
    const key = fullName(s);
    if (!this.streams.has(key)) {
      const sr = new StreamRetry(this.p, new Stream(this.p, s, this.conduit), this.registry);
      this.streams.set(key, sr);
      const nsp = this.conduitStreams.get(key);
      if (!this.running) yield* this.registry.setStatus(s, 'UNAVAILABLE');
      else if (nsp === undefined) yield* this.registry.setStatus(s, 'UNDEFINED');
      else {
        yield* this.registry.setStatus(s, 'PENDING');
        yield* sr.open(nsp);
      }
    }
    this.mu.unlock();
  }

  private *removeBody(ctx: Context, s: TapStream): Go<void> {
    yield* this.mu.lock();
    const key = fullName(s);
    const sr = this.streams.get(key);
    if (sr !== undefined) {
      yield* sr.close(ctx);
      yield* this.registry.remove(s);
      this.streams.delete(key);
    }
    this.mu.unlock();
  }

  private *getBody(): Go<TapStream[]> {
    yield* this.mu.lock();
    const out = [...this.streams.values()].map((sr) => sr.stream.tap);
    this.mu.unlock();
    return out;
  }

  private *setBody(list: readonly NspStream[]): Go<void> {
    yield* this.mu.lock();
    const map = new Map<string, NspStream>();
    for (const s of list) if (s.conduit?.trench !== undefined) map.set(nspFullName(s), s);
    this.conduitStreams = map;
    if (this.running) {
      const { rt } = this.p;
      for (const [key, sr] of [...this.streams]) {
        const nsp = map.get(key);
        if (nsp !== undefined) {
          yield* sr.open(nsp);
        } else {
          const { ctx, cancel } = rt.withTimeout(rt.background(), PENDING_TIME);
          yield* sr.close(ctx);
          cancel();
          yield* this.registry.setStatus(sr.stream.tap, 'UNDEFINED');
        }
      }
    }
    this.mu.unlock();
  }

  private *runBody(): Go<void> {
    yield* this.mu.lock();
    this.running = true;
    for (const [key, sr] of [...this.streams]) {
      const nsp = this.conduitStreams.get(key);
      if (nsp !== undefined) yield* sr.open(nsp);
      else yield* this.registry.setStatus(sr.stream.tap, 'UNDEFINED');
    }
    this.mu.unlock();
  }

  private *stopBody(ctx: Context): Go<void> {
    yield* this.mu.lock();
    this.running = false;
    const all = [...this.streams.values()];
    const wg = this.p.rt.waitGroup('sm.Stop.wg');
    wg.add(all.length); // each G-closer spawned next owes one Done
    const { registry } = this;
    for (const sr of all) {
      go(this.p, 'conduit.(*streamManager).Stop.func1', function* () {
        yield* sr.close(ctx);
        yield* registry.setStatus(sr.stream.tap, 'UNDEFINED');
        wg.done();
      });
    }
    yield* wg.wait();
    this.mu.unlock();
  }
}
