import type { StreamStatus, TapStatus, TapStream } from '../../../core/wire.js';
import { frame, type Chan, type Go, type Mutex } from '../../goroutine/index.js';
import { fullName, type Proc } from './process.js';

/** A Watch subscriber: a capacity-1 channel fed flush-before-send (reference §1.5). */
export interface RegistryWatcher {
  readonly filter: TapStream | undefined;
  readonly ch: Chan<StreamStatus[]>;
  stopped: boolean;
}

/** The ambassador filter of §1.2: empty names and nil children are wildcards. */
export function matches(filter: TapStream | undefined, s: TapStream | undefined): boolean {
  if (s === undefined) return false;
  if (filter === undefined) return true;
  if (filter.name !== '' && filter.name !== s.name) return false;
  const fc = filter.conduit;
  if (fc === undefined) return true;
  if (fc.name !== '' && fc.name !== (s.conduit?.name ?? '')) return false;
  const ft = fc.trench;
  if (ft === undefined) return true;
  return ft.name === '' || ft.name === (s.conduit?.trench?.name ?? '');
}

/**
 * stream/registry.Registry (reg.mu, L10). The per-watcher mutex (L11) is folded into
 * reg.mu: every notification happens under reg.mu and never blocks.
 */
export class Registry {
  private readonly mu: Mutex;
  private readonly entries: { stream: TapStream; status: TapStatus }[] = [];
  private readonly watchers: RegistryWatcher[] = [];

  constructor(private readonly p: Proc) {
    this.mu = p.rt.mutex('reg.mu');
  }

  *setStatus(stream: TapStream, status: TapStatus): Go<void> {
    yield* frame(
      'registry.(*Registry).SetStatus',
      this.locked(() => {
        const e = this.entries.find((x) => fullName(x.stream) === fullName(stream));
        if (e === undefined) this.entries.push({ stream, status });
        else e.status = status;
      }),
    );
  }

  *remove(stream: TapStream): Go<void> {
    yield* frame(
      'registry.(*Registry).Remove',
      this.locked(() => {
        const i = this.entries.findIndex((x) => fullName(x.stream) === fullName(stream));
        if (i >= 0) this.entries.splice(i, 1);
      }),
    );
  }

  *watch(filter: TapStream | undefined): Go<RegistryWatcher> {
    let w: RegistryWatcher | undefined;
    yield* frame(
      'registry.(*Registry).Watch',
      this.locked(() => {
        w = { filter, ch: this.p.rt.chan<StreamStatus[]>('RegistryWatcher.c', 1), stopped: false };
        this.watchers.push(w);
      }),
    );
    return w!;
  }

  /** Holds reg.mu around `change`, then notifies every live watcher. */
  private *locked(change: () => void): Go<void> {
    yield* this.mu.lock();
    change();
    for (let i = this.watchers.length - 1; i >= 0; i--) {
      const w = this.watchers[i]!;
      if (w.stopped) {
        this.watchers.splice(i, 1);
        continue;
      }
      const snapshot = this.entries.filter((e) => matches(w.filter, e.stream)).map((e) => ({ stream: e.stream, status: e.status }));
      w.ch.tryRecv();
      w.ch.trySend(snapshot);
    }
    this.mu.unlock();
  }
}
