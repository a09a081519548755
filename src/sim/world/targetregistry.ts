import type { NspTarget } from '../../core/wire.js';
import { copyMessage } from './message.js';
import { streamOf, targetKey } from './targetkey.js';

/** What the world must schedule: `expire(key, generation)` when the entry times out. */
export interface Arming {
  readonly key: string;
  readonly generation: number;
}

export interface TargetEntry extends Arming {
  readonly target: NspTarget;
  readonly expiresAt: number;
}

interface Entry {
  target: NspTarget;
  generation: number;
  expiresAt: number;
}

/**
 * The NSP's target store: Meridio's keepalive registry in front of its SQLite table
 * (reference §2.5). Time is only ever passed in; the world owns the expiry timers and
 * this class only decides whether a timer that fires is still the current one.
 */
export class TargetRegistry {
  private readonly entries = new Map<string, Entry>();
  /**
   * Keys by stream (streamOf), in the entries' order: a TAPA reads one stream's targets
   * on every acquisition, and a scan of every target made that quadratic in the streams.
   */
  private readonly byStream = new Map<string, Set<string>>();
  /**
   * One counter for every key: a generation is never handed out twice, so an expiry
   * scheduled for an entry that was later unregistered or wiped can never match a new
   * entry of the same key.
   */
  private lastGeneration = 0;

  constructor(private readonly entryTimeoutMs: number) {}

  register(target: NspTarget, now: number): Arming {
    const key = targetKey(target);
    const stored = copyMessage(target);
    // A target can never appear ENABLED: it must exist DISABLED first, so that the
    // identifier collision check of the TAPAs runs before traffic is sent to it.
    if (!this.entries.has(key)) {
      stored.status = 'DISABLED';
      const stream = streamOf(target.stream);
      this.byStream.set(stream, (this.byStream.get(stream) ?? new Set()).add(key));
    }
    const entry = { target: stored, generation: ++this.lastGeneration, expiresAt: now + this.entryTimeoutMs };
    this.entries.set(key, entry);
    return { key, generation: entry.generation };
  }

  /** The removed target, when `generation` was still the entry's current one. */
  expire(key: string, generation: number): NspTarget | undefined {
    const entry = this.entries.get(key);
    if (entry?.generation !== generation) return undefined;
    this.remove(key, entry);
    return entry.target;
  }

  /** The removed target; an unknown target is not an error. */
  unregister(target: NspTarget): NspTarget | undefined {
    const key = targetKey(target);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.remove(key, entry);
    return entry.target;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.byStream.get(streamOf(entry.target.stream))?.delete(key);
  }

  /** Copies, so a caller cannot change what the NSP holds; only those of one stream (streamOf) when `stream` is given. */
  targets(match: (target: NspTarget) => boolean = () => true, stream?: string): NspTarget[] {
    const out: NspTarget[] = [];
    const entries =
      stream === undefined ? this.entries.values() : [...(this.byStream.get(stream) ?? [])].map((key) => this.entries.get(key)!);
    for (const { target } of entries) if (match(target)) out.push(copyMessage(target));
    return out;
  }

  /**
   * The stored targets themselves, for checkers that run after every step: no copies.
   * Entries are replaced, never changed in place, so what this returns stays valid; the
   * caller must not change it.
   */
  peek(): readonly Readonly<NspTarget>[] {
    const out: NspTarget[] = [];
    for (const { target } of this.entries.values()) out.push(target);
    return out;
  }

  list(): TargetEntry[] {
    return [...this.entries].map(([key, e]) => ({ key, generation: e.generation, expiresAt: e.expiresAt, target: copyMessage(e.target) }));
  }

  /** Like the NSP reloading its database at startup: everything stays, with fresh timers. */
  reload(now: number): Arming[] {
    const out: Arming[] = [];
    for (const [key, entry] of this.entries) {
      entry.generation = ++this.lastGeneration;
      entry.expiresAt = now + this.entryTimeoutMs;
      out.push({ key, generation: entry.generation });
    }
    return out;
  }

  /** Like an NSP restarting without its database. Returns what was lost. */
  wipe(): NspTarget[] {
    const lost = [...this.entries.values()].map((e) => e.target);
    this.entries.clear();
    this.byStream.clear();
    return lost;
  }
}
