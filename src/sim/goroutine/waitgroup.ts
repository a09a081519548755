import { currentGoroutine, type Goroutine } from './goroutine.js';
import { ModelError } from './modelerror.js';

/** `sync.(*WaitGroup).Wait`. */
export interface WaitOp {
  readonly kind: 'wait';
  readonly wg: WaitGroup;
}

/** What a WaitGroup needs from its Runtime (runtime.ts). */
interface WaitGroupRuntime {
  touch(what: WaitGroup): void;
  changed(): void;
  /** `adder` added debts: the next goroutine it spawns claims one (`claim`). */
  noteAdd(wg: WaitGroup, adder: Goroutine | null): void;
  /** The counter reached zero. */
  releaseWaiters(wg: WaitGroup): void;
}

/**
 * A Go `sync.WaitGroup` that also knows *who* owes each Done, so that a waiter can be
 * said to wait for those goroutines (wait-for graph) and lockdep can see through the
 * wait (#578: the monitor holds c.mu and waits for closers that want s.mu).
 *
 * The debtor rule, sound for the Go idiom `wg.Add(n); for ... { go f() }`:
 * - `add(n)` by a goroutine P (or by the test, outside any goroutine) creates n
 *   *unclaimed* debts;
 * - each goroutine P spawns next claims one unclaimed debt of the WaitGroup P added to
 *   most recently, until none is left;
 * - `add(n, { by: 'caller' })` makes the caller owe the n Dones itself, for the idiom
 *   `go func() { wg.Add(1); defer wg.Done(); ... }()`;
 * - `owe(g)` claims one unclaimed debt for g explicitly, for goroutines spawned by
 *   someone else or before the add;
 * - `done()` pays the caller's own debt; a caller without one pays an unclaimed debt,
 *   or else the debt of the earliest debtor (Go does not know who owes: this is the
 *   one guess, and it can only shrink the debtor set, never invent a debtor).
 * The debtors are the goroutines holding a debt. A waiter waits for all of them, so a
 * cycle through any one debtor that is still alive is a deadlock; unclaimed debts are
 * owed by nobody known and never make a cycle. Create it with `Runtime.waitGroup`.
 */
export class WaitGroup {
  readonly name: string;
  /** @internal Claimed debts. */
  readonly owed = new Map<Goroutine, number>();
  /** @internal Unclaimed debts, by the goroutine that added them (null: outside any goroutine). */
  readonly unclaimed = new Map<Goroutine | null, number>();
  /** @internal The runtime's tick when its counter last changed. */
  changedAt = 0;
  private readonly rt: WaitGroupRuntime;

  /** @internal Use `Runtime.waitGroup`. */
  constructor(rt: WaitGroupRuntime, name: string) {
    this.rt = rt;
    this.name = name;
  }

  /** Go's counter: the Done calls still owed. */
  get counter(): number {
    let n = 0;
    for (const k of this.owed.values()) n += k;
    for (const k of this.unclaimed.values()) n += k;
    return n;
  }

  /** Goroutines holding a debt, in spawn order. */
  get debtors(): readonly Goroutine[] {
    return [...this.owed.keys()].sort((a, b) => a.id - b.id);
  }

  /**
   * `wg.Add(n)`; a negative n pays like n calls of `done`. The counter going below zero
   * is a ModelError. Who owes the Dones (see the class comment): the next goroutines the
   * caller spawns, or with `by: 'caller'` the calling goroutine itself.
   */
  add(n: number, owed: { readonly by: 'next-spawns' | 'caller' } = { by: 'next-spawns' }): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`WaitGroup ${this.name}: bad delta ${n}`);
    const g = currentGoroutine();
    if (n > 0 && owed.by === 'caller') {
      if (g === undefined) throw new ModelError(`WaitGroup ${this.name}: add by the caller outside any goroutine`);
      this.owed.set(g, (this.owed.get(g) ?? 0) + n);
    } else if (n > 0) {
      const adder = g ?? null;
      this.unclaimed.set(adder, (this.unclaimed.get(adder) ?? 0) + n);
      this.rt.noteAdd(this, adder);
    }
    for (let i = 0; i < -n; i++) this.pay(g);
    if (n !== 0) this.rt.touch(this);
    if (n < 0 && this.counter === 0) this.rt.releaseWaiters(this);
    this.rt.changed();
  }

  /** `wg.Done()`. */
  done(): void {
    this.add(-1);
  }

  /** Claims one unclaimed debt for `g`: it is now a debtor (see the class comment). */
  owe(g: Goroutine): void {
    const adder = this.firstUnclaimed(currentGoroutine() ?? null);
    if (adder === undefined) {
      throw new ModelError(`WaitGroup ${this.name}: owe(${g.actor}) without an unclaimed debt; call add first`);
    }
    this.take(adder);
    this.owed.set(g, (this.owed.get(g) ?? 0) + 1);
    this.rt.changed();
  }

  /** `wg.Wait()`: `yield* wg.wait()`. */
  *wait(): Generator<WaitOp, void, unknown> {
    yield { kind: 'wait', wg: this };
  }

  /** @internal A spawn by `adder` claims one of its unclaimed debts, if it has one. */
  claim(adder: Goroutine | null, g: Goroutine): boolean {
    if ((this.unclaimed.get(adder) ?? 0) === 0) return false;
    this.take(adder);
    this.owed.set(g, (this.owed.get(g) ?? 0) + 1);
    return true;
  }

  private pay(g: Goroutine | undefined): void {
    const own = g === undefined ? 0 : (this.owed.get(g) ?? 0);
    if (g !== undefined && own > 0) {
      this.settle(g, own - 1);
      return;
    }
    const adder = this.firstUnclaimed(g ?? null);
    if (adder !== undefined) {
      this.take(adder);
      return;
    }
    const earliest = this.debtors[0];
    if (earliest !== undefined) {
      this.settle(earliest, this.owed.get(earliest)! - 1);
      return;
    }
    throw new ModelError(`sync: negative WaitGroup counter in ${this.name}`, g && { goroutine: g.actor, stack: g.stack });
  }

  private settle(g: Goroutine, left: number): void {
    if (left === 0) this.owed.delete(g);
    else this.owed.set(g, left);
  }

  /** The caller's own unclaimed debts first, else the oldest adder's. */
  private firstUnclaimed(prefer: Goroutine | null): Goroutine | null | undefined {
    if ((this.unclaimed.get(prefer) ?? 0) > 0) return prefer;
    for (const [adder, n] of this.unclaimed) if (n > 0) return adder;
    return undefined;
  }

  private take(adder: Goroutine | null): void {
    const left = this.unclaimed.get(adder)! - 1;
    if (left === 0) this.unclaimed.delete(adder);
    else this.unclaimed.set(adder, left);
  }
}
