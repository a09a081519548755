import type { Scheduler } from '../kernel/scheduler.js';
import { Chan, type ChanOp, type RecvResult, type SelectCase } from './chan.js';
import { Context, type CancelableContext } from './context.js';
import { Goroutine, RUN, currentGoroutine, setRunning, type Held } from './goroutine.js';
import { LockOrder, type LockOrderCycle, type LockOrderEdge } from './lockorder.js';
import { ModelError } from './modelerror.js';
import { Mutex } from './mutex.js';
import type { RuntimeObserver } from './observer.js';
import { describeCase, describeOp, isOp, opOf, type Go, type Op } from './op.js';
import { blockingFrame } from './park.js';
import { formatTraces, groupStacks } from './pprof.js';
import { findStall, STALL_ROUNDS, type Stall } from './stall.js';
import { findDeadlock, memberOf, stuckIfParked, waitOf, type Deadlock } from './waitfor.js';
import { WaitGroup } from './waitgroup.js';

export interface RuntimeOptions {
  /** Called inside the step that closed the cycle; it must not step the scheduler. */
  readonly onDeadlock?: (deadlock: Deadlock) => void;
  /** Sees lock, park and step events (a swimlane picture); hunts leave it out. */
  readonly observer?: RuntimeObserver;
  /**
   * 'full' looks at every goroutine and builds the wait-for graph after every step: the
   * reference that the default, which looks only at goroutines whose op or what it waits
   * on changed and builds the graph only when a new cycle is possible, is tested against.
   */
  readonly settle?: 'incremental' | 'full';
  /** Record lock-order edges for `lockOrderCycles` (default); false for runs that never ask, which then cost less. */
  readonly lockOrder?: boolean;
}

const MUTEX_LOCK = 'sync.(*Mutex).Lock';
const READY: readonly number[] = [RUN];
const NONE: readonly number[] = [];
const WAITGROUP_WAIT = 'sync.(*WaitGroup).Wait';

/**
 * Goroutines on the deterministic Scheduler, for lock-level models of Go code.
 *
 * Each goroutine step (resume the generator, run it to its next yielded op) is one
 * scheduler task whose actor is the goroutine's unique name and whose label says what
 * the step completes (`start`, `lock conduit.mu`, `select case 1: recv ctx#2.Done`).
 * After every step the runtime looks at every goroutine: one whose op can complete gets
 * a task (one per ready case of a select, so the strategy picks the case), one whose op
 * cannot has none and is parked. So a released mutex makes all its waiters runnable and
 * the strategy chooses the winner; the rest park again.
 *
 * After every step it also looks for a cycle in the wait-for graph (see waitfor.ts), and
 * records lock-order edges for `lockOrderCycles`.
 */
export class Runtime {
  readonly scheduler: Scheduler;
  /** Called once per new deadlock, inside the step that closed it. */
  onDeadlock: ((deadlock: Deadlock) => void) | undefined;
  /** @internal For the primitives. */
  readonly observer: RuntimeObserver | undefined;
  private readonly gs: Goroutine[] = [];
  private readonly found: Deadlock[] = [];
  private stalled: Stall | undefined;
  /** `time.After` channels: receiving from one ends a retry delay. */
  private readonly timers = new WeakSet<Chan<unknown>>();
  private readonly order = new LockOrder();
  /** WaitGroups with unclaimed debts, by adder, most recent last: the next spawn claims from the last. */
  private readonly recentAdds = new Map<Goroutine | null, WaitGroup[]>();
  private bg: Context | undefined;
  private exited = false;
  private seq = 0;
  private objects = 0;
  private inStep = false;
  private settling = false;
  private again = false;
  /** Counts changes to goroutines' ops and to what they wait on (see `stale`). */
  private tick = 0;
  private readonly full: boolean;
  private readonly recordsLockOrder: boolean;

  constructor(scheduler: Scheduler, options: RuntimeOptions = {}) {
    this.scheduler = scheduler;
    this.onDeadlock = options.onDeadlock;
    this.observer = options.observer;
    this.full = options.settle === 'full';
    this.recordsLockOrder = options.lockOrder !== false;
  }

  /** Virtual ms. */
  get now(): number {
    return this.scheduler.now;
  }

  /** Every goroutine ever spawned, in spawn order. */
  get goroutines(): readonly Goroutine[] {
    return this.gs;
  }

  /** The first deadlock found, if any. */
  get deadlock(): Deadlock | undefined {
    return this.found[0];
  }

  /** Every deadlock found, in the order they closed. */
  get deadlocks(): readonly Deadlock[] {
    return this.found;
  }

  /** The first stall found (see stall.ts), if any; it is looked for whenever a lock holder ends a retry delay. */
  get stall(): Stall | undefined {
    return this.stalled;
  }

  /**
   * Go's `go fn(args...)`. `name` is the function as a Go dump names it
   * (`conduit.(*streamManager).Stop.func1`); it is the goroutine's outermost frame, and
   * `name#id` its scheduler actor. It may be called from a goroutine step or from
   * outside (the test, the environment); a spawn from goroutine P claims one of P's
   * unclaimed WaitGroup debts (see WaitGroup).
   */
  go<A extends unknown[]>(name: string, fn: (...args: A) => Go<unknown>, ...args: A): Goroutine {
    const parent = currentGoroutine();
    const g = new Goroutine(this.gs.length + 1, name, parent, fn(...args));
    g.opSeq = ++this.seq;
    this.gs.push(g);
    if (this.exited) g.ended = 'exited';
    this.claimDebt(parent ?? null, g);
    this.changed();
    return g;
  }

  /**
   * The process exits (`os.Exit`, or main returning): every goroutine ends where it is,
   * none runs again, and any spawned later never starts.
   */
  exit(): void {
    this.exited = true;
    for (const g of this.gs) {
      if (g.ended !== undefined) continue;
      for (const id of g.tasks.values()) this.scheduler.cancel(id);
      g.tasks.clear();
      g.ended = 'exited';
    }
  }

  /** A `sync.Mutex`; `name` is its lock class (`conduit.mu`). */
  mutex(name: string): Mutex {
    return new Mutex(this, name);
  }

  /** A `sync.WaitGroup`. */
  waitGroup(name: string): WaitGroup {
    return new WaitGroup(this, name);
  }

  /** `make(chan T, capacity)`. */
  chan<T>(name: string, capacity = 0): Chan<T> {
    return new Chan<T>(this, name, capacity);
  }

  /** `context.Background()`: never done. */
  background(): Context {
    this.bg ??= new Context('context.Background', this.chan('context.Background.Done'), undefined, undefined, this.stopTimer);
    return this.bg;
  }

  /** `context.WithCancel(parent)`. */
  withCancel(parent: Context): CancelableContext {
    const name = `ctx#${++this.objects}`;
    const ctx = new Context(name, this.chan(`${name}.Done`), parent, parent.deadline, this.stopTimer);
    return { ctx, cancel: () => ctx.cancel('context canceled') };
  }

  /** `context.WithTimeout(parent, ms)`, in virtual ms; the deadline is a scheduler timer of actor `ctx#n`. */
  withTimeout(parent: Context, ms: number): CancelableContext {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`withTimeout: bad duration ${ms}`);
    const name = `ctx#${++this.objects}`;
    const due = this.now + ms;
    const inherited = parent.deadline !== undefined && parent.deadline <= due;
    const ctx = new Context(name, this.chan(`${name}.Done`), parent, inherited ? parent.deadline : due, this.stopTimer);
    if (!inherited && ctx.err() === undefined) {
      ctx.timer = this.scheduler.after(ms, name, 'deadline exceeded', () => this.runTimer(() => ctx.cancel('context deadline exceeded')));
    }
    return { ctx, cancel: () => ctx.cancel('context canceled') };
  }

  /** `time.After(ms)`: a channel that receives the virtual time once, `ms` from now. */
  after(ms: number): Chan<number> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`after: bad duration ${ms}`);
    const ch = this.chan<number>(`time.After#${++this.objects}`, 1);
    this.timers.add(ch);
    this.scheduler.after(ms, ch.name, 'fire', () => this.runTimer(() => ch.sendNow(this.now, undefined)));
    return ch;
  }

  /** The potential deadlocks seen so far (lockdep); see LockOrder.cycles. */
  lockOrderCycles(limit?: number): LockOrderCycle[] {
    return this.order.cycles(limit);
  }

  /** Every lock-order edge seen so far, with its example. */
  lockOrderEdges(): LockOrderEdge[] {
    return this.order.edges();
  }

  /** A goroutine dump of the live goroutines in pprof `traces` text form (see pprof.ts). */
  dump(): string {
    return formatTraces(groupStacks(this.gs.filter((g) => g.ended === undefined).map((g) => g.dumpStack)));
  }

  // ---- for the primitives -------------------------------------------------------------

  /** @internal A mutex, WaitGroup or channel changed in a way that may wake or park its waiters. */
  touch(what: { changedAt: number }): void {
    what.changedAt = ++this.tick;
  }

  /** @internal A primitive changed state; outside a step, wake and park goroutines now. */
  changed(): void {
    if (this.settling) this.again = true;
    else if (!this.inStep) this.settle();
  }

  /** @internal */
  noteAdd(wg: WaitGroup, adder: Goroutine | null): void {
    const list = this.recentAdds.get(adder) ?? [];
    const i = list.indexOf(wg);
    if (i >= 0) list.splice(i, 1);
    list.push(wg);
    this.recentAdds.set(adder, list);
  }

  /** @internal The counter reached zero: Go releases every waiter, even if Add runs again before they do. */
  releaseWaiters(wg: WaitGroup): void {
    for (const g of this.gs) {
      const op = opOf(g);
      if (g.ended || g.frozen || g.completed || typeof op !== 'object') continue;
      if (op.kind !== 'wait' || op.wg !== wg) continue;
      g.completed = { value: undefined };
      g.seenAt = -1;
    }
  }

  /**
   * @internal The oldest parked goroutine (not `self`) with a `kind` case on `ch`, as in
   * Go's sendq/recvq. Only parked ones: a goroutine with a task pending has not reached
   * the channel yet, from the channel's point of view.
   */
  parkedPartner(
    ch: Chan<unknown>,
    kind: 'send' | 'recv',
    self: Goroutine | undefined,
  ): { g: Goroutine; index: number; value: unknown } | undefined {
    let best: Goroutine | undefined;
    let at = -1;
    for (const g of this.gs) {
      const op = opOf(g);
      if (g === self || !g.parked || g.frozen || g.completed || g.ended || typeof op !== 'object' || op.kind !== 'chan') continue;
      if (best !== undefined && best.opSeq < g.opSeq) continue;
      const index = caseOn(op.cases, ch, kind);
      if (index < 0) continue;
      best = g;
      at = index;
    }
    if (best === undefined) return undefined;
    const c = (best.op as ChanOp).cases[at]!;
    return { g: best, index: at, value: c.kind === 'send' ? c.value : undefined };
  }

  /** @internal A partner completed `g`'s channel op on case `index`; `value` is the RecvResult, or undefined for a send. */
  complete(g: Goroutine, index: number, value: RecvResult<unknown> | undefined): void {
    const op = opOf(g) as Op & { kind: 'chan' };
    g.completed = {
      value: op.select ? { index, value: value?.value, ok: value?.ok ?? true } : value,
    };
    g.seenAt = -1;
    // No longer a partner that others' channel ops can complete with.
    this.touchChannels(g);
    this.changed();
  }

  // ---- stepping -----------------------------------------------------------------------

  private readonly stopTimer = (id: number): void => {
    this.scheduler.cancel(id);
  };

  private runTimer(fire: () => void): void {
    this.inStep = true;
    try {
      fire();
    } finally {
      this.inStep = false;
    }
    this.settle();
  }

  /** One goroutine step: complete the op (case `key` of a select), then run to the next yield. */
  private step(g: Goroutine, key: number): void {
    // The other cases' tasks; a Map emptied by deleting its last key allocates a smaller one.
    for (const [k, id] of g.tasks) if (k !== key) this.scheduler.cancel(id);
    g.tasks.clear();
    if (this.observer) this.observer.stepping(g, typeof g.op === 'object' ? g.stackAt(blockingFrame(g.op)) : [...g.frames].reverse());
    this.inStep = true;
    setRunning(g);
    try {
      const op = opOf(g);
      const value = this.perform(g, key);
      const delayed = typeof op === 'object' && this.endsDelay(op, value);
      if (g.parked) this.touchChannels(g);
      g.op = undefined;
      g.parked = false;
      g.seenAt = -1;
      this.resume(g, value);
      if (delayed) this.delayed(g);
    } finally {
      setRunning(undefined);
      this.inStep = false;
    }
    this.settle();
  }

  private perform(g: Goroutine, key: number): unknown {
    if (g.completed !== undefined) {
      const { value } = g.completed;
      g.completed = undefined;
      return value;
    }
    const op = opOf(g);
    if (op === 'start') return undefined;
    if (op === undefined) throw new Error(`Runtime: ${g.actor} stepped without an op`);
    switch (op.kind) {
      case 'lock': {
        const m = op.mutex;
        if (m.locked) throw new Error(`Runtime: ${g.actor} ran lock ${m.name}, held by ${m.holder?.actor}`);
        m.locked = true;
        m.holder = g;
        this.touch(m);
        const held: Held = { mutex: m, stack: g.stackAt(MUTEX_LOCK), since: this.now };
        g.held.push(held);
        this.observer?.acquired(g, m);
        return undefined;
      }
      case 'wait':
        if (op.wg.counter !== 0) throw new Error(`Runtime: ${g.actor} ran wait ${op.wg.name} at counter ${op.wg.counter}`);
        return undefined;
      case 'sleep':
        return undefined;
      case 'chan': {
        const index = key === RUN ? 0 : key;
        const c = op.cases[index];
        if (c === undefined) throw new Error(`Runtime: ${g.actor} ran missing case ${index}`);
        let result: RecvResult<unknown> | undefined;
        if (c.kind === 'recv') {
          result = c.ch.recvNow(g);
          if (result === undefined) throw new Error(`Runtime: ${g.actor} ran recv ${c.ch.name}, which would block`);
        } else if (!c.ch.sendNow(c.value, g)) {
          throw new Error(`Runtime: ${g.actor} ran send ${c.ch.name}, which would block`);
        }
        if (!op.select) return result;
        return { index, value: result?.value, ok: result?.ok ?? true };
      }
    }
  }

  private resume(g: Goroutine, value: unknown): void {
    let r: IteratorResult<unknown, unknown>;
    try {
      r = g.gen.next(value);
    } catch (e) {
      g.ended = 'panicked';
      if (e instanceof ModelError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new ModelError(`goroutine panicked: ${message}`, { goroutine: g.actor, stack: g.stack }, e);
    }
    if (r.done) {
      g.ended = 'exited';
      return;
    }
    this.accept(g, r.value);
  }

  /** Takes the op a goroutine just yielded; misuse is raised here, at the step that yields it. */
  private accept(g: Goroutine, op: unknown): void {
    if (!isOp(op)) {
      g.ended = 'panicked';
      throw new ModelError(`yielded ${describeValue(op)}, not an op: call primitives with yield* (yield* mu.lock())`, {
        goroutine: g.actor,
        stack: g.stack,
      });
    }
    g.op = op;
    g.opSeq = ++this.seq;
    switch (op.kind) {
      case 'lock':
        if (op.mutex.holder === g) {
          g.ended = 'panicked';
          throw new ModelError(`sync: ${op.mutex.name} locked again by its holder (Go would deadlock here)`, {
            goroutine: g.actor,
            stack: g.stackAt(MUTEX_LOCK),
          });
        }
        if (this.recordsLockOrder) this.recordLockOrder(g, op.mutex);
        return;
      case 'sleep':
        if (!(op.ms >= 0) || !Number.isFinite(op.ms)) throw new RangeError(`sleep: bad duration ${op.ms} in ${g.actor}`);
        g.tasks.set(
          RUN,
          this.scheduler.after(op.ms, g.actor, describeOp(op), () => this.step(g, RUN)),
        );
        return;
      case 'wait':
      case 'chan':
        return;
    }
  }

  /**
   * Gives a task to every goroutine whose op can complete and takes it from every one
   * whose op cannot, then looks for a deadlock. Goroutines are visited in spawn order
   * and channel partners are only parked goroutines, so the outcome is deterministic
   * and a sender/receiver pair never both park. A goroutine that is not `stale` would
   * get what it has, so it is passed over: the outcome is that of looking at every one.
   */
  private settle(): void {
    if (this.settling) {
      this.again = true;
      return;
    }
    this.settling = true;
    try {
      do {
        this.again = false;
        let anyParked = false;
        for (const g of this.gs) {
          if (g.ended !== undefined || g.frozen || g.op === undefined) continue;
          if (typeof g.op === 'object' && g.op.kind === 'sleep') continue;
          if (!this.full && !this.stale(g)) {
            anyParked ||= g.parked;
            continue;
          }
          g.seenAt = this.tick;
          const keys = this.readyKeys(g);
          for (const [key, id] of g.tasks) {
            if (keys.includes(key)) continue;
            this.scheduler.cancel(id);
            g.tasks.delete(key);
          }
          for (const key of keys) {
            if (!g.tasks.has(key)) g.tasks.set(key, this.schedule(g, key));
          }
          const parked = keys.length === 0;
          const parking = parked && !g.parked;
          if (parking) {
            g.parkSeq = ++this.seq;
            g.parkedAt = this.now;
          }
          // Whether it is parked decides whether channel ops of others can complete with it.
          if (g.parked !== parked) this.touchChannels(g);
          g.parked = parked;
          if (parking && this.observer) this.observePark(g, this.observer);
          anyParked ||= parked;
        }
        if (anyParked) this.detect();
      } while (this.again);
    } finally {
      this.settling = false;
    }
  }

  /** Whether `g`'s op, or what it waits on, changed since `g` was last looked at. */
  private stale(g: Goroutine): boolean {
    const op = opOf(g);
    if (g.seenAt < 0 || typeof op !== 'object') return true;
    switch (op.kind) {
      case 'lock':
        return op.mutex.changedAt > g.seenAt;
      case 'wait':
        return op.wg.changedAt > g.seenAt;
      case 'sleep':
        return false;
      case 'chan':
        for (const c of op.cases) if (c.ch.changedAt > g.seenAt) return true;
        return false;
    }
  }

  /** The channels of `g`'s op: whether a send or receive on them completes now depends on `g`'s state. */
  private touchChannels(g: Goroutine): void {
    const op = opOf(g);
    if (typeof op === 'object' && op.kind === 'chan') for (const c of op.cases) this.touch(c.ch);
  }

  /** The task keys `g` can run now; the shared `READY`/`NONE` lists unless a select has a choice. */
  private readyKeys(g: Goroutine): readonly number[] {
    const op = opOf(g);
    if (g.completed !== undefined || op === 'start') return READY;
    if (op === undefined) return NONE;
    switch (op.kind) {
      case 'lock':
        return op.mutex.locked ? NONE : READY;
      case 'wait':
        return op.wg.counter === 0 ? READY : NONE;
      case 'sleep':
        return NONE;
      case 'chan': {
        let ready: number[] | undefined;
        for (let i = 0; i < op.cases.length; i++) {
          const c = op.cases[i]!;
          if (!(c.kind === 'recv' ? c.ch.canRecv(g) : c.ch.canSend(g))) continue;
          if (!op.select) return READY;
          (ready ??= []).push(i);
        }
        return ready ?? NONE;
      }
    }
  }

  private schedule(g: Goroutine, key: number): number {
    return this.scheduler.spawn(g.actor, this.label(g, key), () => this.step(g, key));
  }

  private label(g: Goroutine, key: number): string {
    const op = opOf(g);
    if (op === 'start') return 'start';
    if (op === undefined) return 'resume';
    const woken = g.completed !== undefined ? ' (woken)' : '';
    if (op.kind === 'chan' && op.select && key !== RUN) return `select case ${key}: ${describeCase(op.cases[key]!)}`;
    return `${describeOp(op)}${woken}`;
  }

  /** A sleep, or a receive that a `time.After` channel completed (`value` is what `perform` returned). */
  private endsDelay(op: Op, value: unknown): boolean {
    if (op.kind === 'sleep') return true;
    if (op.kind !== 'chan') return false;
    const index = op.select ? (value as { index: number }).index : 0;
    const c = op.cases[index];
    return c?.kind === 'recv' && this.timers.has(c.ch);
  }

  private delayed(g: Goroutine): void {
    g.delays.push(this.now);
    if (g.delays.length > STALL_ROUNDS) g.delays.shift();
    this.stalled ??= findStall(this.gs, g, this.now);
  }

  private detect(): void {
    if (!this.full && !this.gs.some((g) => g.parked && !g.frozen && g.ended === undefined && stuckIfParked(g))) return;
    const parked = this.gs.filter((g) => g.ended === undefined && (g.parked || g.frozen));
    const found = findDeadlock(parked);
    if (found === undefined) return;
    const members = found.stuck.map(memberOf);
    const deadlock: Deadlock = {
      time: this.now,
      step: this.scheduler.steps - 1,
      closedBy: found.cycle[0]!.actor,
      cycle: members.slice(0, found.cycle.length),
      stuck: members,
    };
    // They could only be woken by breaking the model's own declarations; keep the report true.
    for (const g of found.stuck) {
      g.frozen = true;
      this.touchChannels(g);
    }
    this.found.push(deadlock);
    this.onDeadlock?.(deadlock);
    this.observer?.deadlocked(deadlock);
  }

  private observePark(g: Goroutine, observer: RuntimeObserver): void {
    const wait = waitOf(g);
    if (wait !== undefined) observer.parked(g, wait.description);
  }

  private claimDebt(adder: Goroutine | null, g: Goroutine): void {
    const list = this.recentAdds.get(adder);
    while (list !== undefined && list.length > 0) {
      if (list[list.length - 1]!.claim(adder, g)) return;
      list.pop();
    }
  }

  /**
   * Lockdep: `g` takes or waits for `mutex`. Every lock `g` holds gets an edge to it, and
   * so does every lock held by a goroutine waiting on a WaitGroup that `g` owes, and
   * transitively (the #578 edge: the monitor holds c.mu and waits on closers that take s.mu).
   */
  private recordLockOrder(g: Goroutine, mutex: Mutex): void {
    const toStack = g.stackAt(MUTEX_LOCK);
    for (const h of this.heldThrough(g, new Set())) {
      this.order.add({
        from: h.held.mutex.name,
        to: mutex.name,
        holder: h.holder.actor,
        fromStack: h.held.stack,
        taker: g.actor,
        toStack,
        ...(h.via === undefined ? {} : { via: h.via }),
      });
    }
  }

  private heldThrough(g: Goroutine, seen: Set<Goroutine>): Array<{ held: Held; holder: Goroutine; via?: LockOrderEdge['via'] }> {
    seen.add(g);
    const out: Array<{ held: Held; holder: Goroutine; via?: LockOrderEdge['via'] }> = g.held.map((held) => ({ held, holder: g }));
    for (const w of this.gs) {
      const op = opOf(w);
      if (seen.has(w) || w.ended || w.completed || typeof op !== 'object' || op.kind !== 'wait') continue;
      if ((op.wg.owed.get(g) ?? 0) === 0) continue;
      const via = { waitGroup: op.wg.name, waiter: w.actor, waiterStack: w.stackAt(WAITGROUP_WAIT) };
      for (const e of this.heldThrough(w, seen)) out.push({ ...e, via: e.via ?? via });
    }
    return out;
  }
}

function caseOn(cases: readonly SelectCase[], ch: Chan<unknown>, kind: 'send' | 'recv'): number {
  for (let i = 0; i < cases.length; i++) if (cases[i]!.kind === kind && cases[i]!.ch === ch) return i;
  return -1;
}

function describeValue(x: unknown): string {
  if (x !== null && typeof x === 'object' && typeof (x as { next?: unknown }).next === 'function') return 'a generator';
  return typeof x;
}
