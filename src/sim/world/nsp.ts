import { assertNever } from '../../core/exhaustive.js';
import type { NspFlow, NspStream, NspTarget } from '../../core/wire.js';
import { checkConfig, copyConfig, flowMessages, streamMessages, type ConduitConfig } from './conduitconfig.js';
import { Listeners } from './listeners.js';
import { namedStream, streamOf, trenchOf } from './targetkey.js';
import { matchesFilter } from './targetfilter.js';
import { TargetRegistry, type Arming, type TargetEntry } from './targetregistry.js';

export type { ConduitConfig } from './conduitconfig.js';
export type { Arming, TargetEntry } from './targetregistry.js';

/** The NSP cannot be reached; the world answers the call with gRPC UNAVAILABLE. */
export class NspUnavailable extends Error {
  constructor() {
    super('the NSP is unavailable');
    this.name = 'NspUnavailable';
  }
}

// Every call during an outage is refused, and a TAPA retrying its watches makes many:
// one instance serves them all, since its stack would only ever point here.
const UNAVAILABLE = new NspUnavailable();

export interface NspOptions {
  /** NSP_ENTRY_TIMEOUT: how long a target lives without a refresh. */
  readonly entryTimeoutMs?: number;
}

/**
 * The Meridio NSP that every TAPA of a simulation shares (reference §2.5): the stream and
 * flow configuration of each trench, and the target registry whose entries expire
 * unless refreshed. Synchronous and deterministic; the world schedules the calls and the
 * expiries, and turns the change listeners into watch messages.
 *
 * The configuration readers do not check `available`: checkers read them too, at any
 * time. A config watch served while the NSP is down must call `assertAvailable` itself.
 */
export class NspModel {
  readonly entryTimeoutMs: number;
  /** While false, every registry call and config watch fails with NspUnavailable. */
  available = true;
  private readonly config = new Map<string, ConduitConfig[]>();
  private readonly registry: TargetRegistry;
  private readonly configListeners = new Listeners<string>();
  private readonly targetListeners = new Listeners<string>();
  private readonly streamListeners = new Map<string, Listeners<void>>();

  constructor(options: NspOptions = {}) {
    const timeout = options.entryTimeoutMs ?? 60_000;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new RangeError(`entryTimeoutMs must be positive, got ${timeout}`);
    this.entryTimeoutMs = timeout;
    this.registry = new TargetRegistry(timeout);
  }

  assertAvailable(): void {
    if (!this.available) throw UNAVAILABLE;
  }

  /** Replaces the trench's configuration, as an operator editing the configmap. */
  configure(trench: string, conduits: readonly ConduitConfig[]): void {
    checkConfig(trench, conduits);
    this.config.set(trench, copyConfig(conduits));
    this.configListeners.emit(trench);
  }

  /** The trench's configuration as last given (a copy). */
  configuration(trench: string): ConduitConfig[] {
    return copyConfig(this.config.get(trench) ?? []);
  }

  streams(trench: string, conduit: string): NspStream[] {
    const c = this.conduit(trench, conduit);
    return c ? streamMessages(trench, c) : [];
  }

  flows(trench: string, conduit: string): NspFlow[] {
    const c = this.conduit(trench, conduit);
    return c ? flowMessages(trench, c) : [];
  }

  /** Called after every `configure`, with its trench. Returns the unsubscribe function. */
  onConfigChange(listener: (trench: string) => void): () => void {
    return this.configListeners.add(listener);
  }

  /**
   * Creates or updates the target and re-arms its expiry at `now + entryTimeoutMs`. The
   * world schedules `expire(key, generation)` for then.
   */
  register(target: NspTarget, now: number): Arming {
    this.assertAvailable();
    if (!Number.isFinite(now)) throw new RangeError(`now must be a finite virtual time, got ${now}`);
    const arming = this.registry.register(target, now);
    this.changed(target);
    return arming;
  }

  /** Returns whether the entry went; a stale generation (the entry was refreshed since) leaves it. */
  expire(key: string, generation: number): boolean {
    const gone = this.registry.expire(key, generation);
    if (gone) this.changed(gone);
    return gone !== undefined;
  }

  unregister(target: NspTarget): void {
    this.assertAvailable();
    const gone = this.registry.unregister(target);
    if (gone) this.changed(gone);
  }

  /** What a Watch with this filter sends: copies, in registration order. */
  targets(filter: NspTarget): NspTarget[] {
    this.assertAvailable();
    return this.registry.targets((t) => matchesFilter(filter, t), namedStream(filter));
  }

  /** Every target, whatever `available` says: for checkers. */
  allTargets(): NspTarget[] {
    return this.registry.targets();
  }

  /** Like allTargets, without copies: for checkers, which must not change them. */
  peekTargets(): readonly Readonly<NspTarget>[] {
    return this.registry.peek();
  }

  /** Every entry with its key, generation and expiry: for checkers and traces. */
  entries(): TargetEntry[] {
    return this.registry.list();
  }

  /** Called after every change of the registry, with the trench of what changed. */
  onTargetsChange(listener: (trench: string) => void): () => void {
    return this.targetListeners.add(listener);
  }

  /**
   * Called after every change of the targets of the stream a filter names completely
   * (namedStream); undefined for a filter with a wildcard level. A Watch of one stream
   * thus hears nothing of the other streams' registrations.
   */
  onStreamTargetsChange(filter: NspTarget, listener: () => void): (() => void) | undefined {
    const stream = namedStream(filter);
    if (stream === undefined) return undefined;
    let listeners = this.streamListeners.get(stream);
    if (!listeners) {
      listeners = new Listeners<void>();
      this.streamListeners.set(stream, listeners);
    }
    return listeners.add(listener);
  }

  /**
   * The NSP process restarts. 'reload' is Meridio's NSP reloading its SQLite database:
   * every target stays and gets a fresh timer (the returned armings replace all earlier
   * ones). 'wipe' is an NSP that lost its database: every target is gone. The
   * configuration comes from the configmap and survives either way.
   */
  restart(mode: 'reload' | 'wipe', now: number): Arming[] {
    if (!Number.isFinite(now)) throw new RangeError(`now must be a finite virtual time, got ${now}`);
    let touched: NspTarget[];
    let armings: Arming[];
    switch (mode) {
      case 'reload':
        touched = this.registry.targets();
        armings = this.registry.reload(now);
        break;
      case 'wipe':
        touched = this.registry.wipe();
        armings = [];
        break;
      default:
        return assertNever(mode);
    }
    for (const trench of new Set(touched.map(trenchOf))) this.targetListeners.emit(trench);
    for (const stream of new Set(touched.map((t) => streamOf(t.stream)))) this.streamListeners.get(stream)?.emit();
    return armings;
  }

  private changed(target: NspTarget): void {
    this.targetListeners.emit(trenchOf(target));
    this.streamListeners.get(streamOf(target.stream))?.emit();
  }

  private conduit(trench: string, conduit: string): ConduitConfig | undefined {
    return this.config.get(trench)?.find((c) => c.name === conduit);
  }
}
