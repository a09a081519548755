import { currentGoroutine, type Goroutine } from './goroutine.js';
import { ModelError } from './modelerror.js';

/** What a receive got: a value, or `ok: false` once the channel is closed and drained. */
export type RecvResult<T> = { readonly value: T; readonly ok: true } | { readonly value: undefined; readonly ok: false };

/** Receiving from a channel, as a plain `<-ch` or as one case of a `select`. */
export interface RecvCase<T> {
  readonly kind: 'recv';
  readonly ch: Chan<T>;
}

/** Sending on a channel, as a plain `ch <- v` or as one case of a `select`. */
export interface SendCase<T> {
  readonly kind: 'send';
  readonly ch: Chan<T>;
  readonly value: T;
}

// Method parameters are bivariant, so a case over Chan<string> is a case over Chan<unknown>.
export type SelectCase = RecvCase<unknown> | SendCase<unknown>;

/**
 * A channel operation. A plain send or receive is a `select` of one case that shows
 * `runtime.chansend1` / `runtime.chanrecv1` in a dump instead of `runtime.selectgo`.
 */
export interface ChanOp {
  readonly kind: 'chan';
  readonly select: boolean;
  readonly cases: readonly SelectCase[];
}

/** What a Chan needs from its Runtime (runtime.ts). */
interface ChanRuntime {
  touch(what: Chan<unknown>): void;
  changed(): void;
  /** The oldest parked goroutine other than `self` with a `kind` case on `ch`, and that case. */
  parkedPartner(
    ch: Chan<unknown>,
    kind: 'send' | 'recv',
    self: Goroutine | undefined,
  ): { g: Goroutine; index: number; value: unknown } | undefined;
  /** A partner completed `g`'s channel op on case `index`. */
  complete(g: Goroutine, index: number, value: RecvResult<unknown> | undefined): void;
}

/**
 * A Go channel of capacity n (0: unbuffered, a rendezvous). Values are FIFO; a receiver
 * takes from the buffer first and then pulls the oldest parked sender's value in, and a
 * sender hands its value straight to the oldest parked receiver, as Go's queues do.
 *
 * For the wait-for graph, register who could send (or close) with `addSender`, and who
 * could receive with `addReceiver`: a parked receiver waits for *any one* of the
 * registered senders, so it is deadlocked only when every live one is. Registration
 * declares the complete set; with none registered the channel could be fed from outside
 * the model (a timer, a context, the environment) and its waiters are never reported.
 * Create it with `Runtime.chan`.
 */
export class Chan<T> {
  readonly name: string;
  readonly capacity: number;
  /** @internal */ readonly buffer: T[] = [];
  /** @internal */ closed = false;
  /** @internal */ readonly senders = new Set<Goroutine>();
  /** @internal */ readonly receivers = new Set<Goroutine>();
  /** @internal The runtime's tick when its buffer, its closing or its parked partners last changed. */
  changedAt = 0;
  private readonly rt: ChanRuntime;

  /** @internal Use `Runtime.chan`. */
  constructor(rt: ChanRuntime, name: string, capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`chan ${name}: bad capacity ${capacity}`);
    this.rt = rt;
    this.name = name;
    this.capacity = capacity;
  }

  /** Values waiting in the buffer (Go's `len(ch)`). */
  get length(): number {
    return this.buffer.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** `v, ok := <-ch`: `const r = yield* ch.recv()`. */
  *recv(): Generator<ChanOp, RecvResult<T>, unknown> {
    return (yield { kind: 'chan', select: false, cases: [recvCase(this)] }) as RecvResult<T>;
  }

  /** `ch <- v`: `yield* ch.send(v)`. Sending on a closed channel is a ModelError (Go panics). */
  *send(value: T): Generator<ChanOp, void, unknown> {
    yield { kind: 'chan', select: false, cases: [sendCase(this, value)] };
  }

  /**
   * `select { case v, ok := <-ch: ...; default: }`: takes a value if one can be had
   * without blocking, else returns undefined. The first half of flush-before-send.
   */
  tryRecv(): RecvResult<T> | undefined {
    const r = this.recvNow(currentGoroutine());
    this.rt.changed();
    return r;
  }

  /** `select { case ch <- v: return true; default: return false }`. */
  trySend(value: T): boolean {
    const sent = this.sendNow(value, currentGoroutine());
    this.rt.changed();
    return sent;
  }

  /** `close(ch)`: parked receivers get `ok: false`; closing twice is a ModelError. */
  close(): void {
    if (this.closed) throw this.misuse('close of closed channel');
    this.closed = true;
    this.rt.touch(this);
    this.rt.changed();
  }

  /** Declares `g` as one of the goroutines that could send on (or close) this channel. */
  addSender(g: Goroutine): void {
    this.senders.add(g);
    this.rt.changed();
  }

  /** Declares `g` as one of the goroutines that could receive from this channel. */
  addReceiver(g: Goroutine): void {
    this.receivers.add(g);
    this.rt.changed();
  }

  /** @internal Whether a receive by `self` completes now. */
  canRecv(self: Goroutine | undefined): boolean {
    return this.buffer.length > 0 || this.closed || this.rt.parkedPartner(this, 'send', self) !== undefined;
  }

  /** @internal Whether a send by `self` completes now (or panics, if closed). */
  canSend(self: Goroutine | undefined): boolean {
    if (this.closed || this.buffer.length < this.capacity) return true;
    return this.buffer.length === 0 && this.rt.parkedPartner(this, 'recv', self) !== undefined;
  }

  /** @internal Receives for `self`, or returns undefined if that would block. */
  recvNow(self: Goroutine | undefined): RecvResult<T> | undefined {
    const sender = this.rt.parkedPartner(this, 'send', self);
    if (this.buffer.length > 0) {
      const value = this.buffer.shift()!;
      this.rt.touch(this);
      // The buffer was full, or the sender would not be parked: its value takes the freed slot.
      if (sender !== undefined) {
        this.buffer.push(sender.value as T);
        this.rt.complete(sender.g, sender.index, undefined);
      }
      return { value, ok: true };
    }
    if (sender !== undefined) {
      this.rt.complete(sender.g, sender.index, undefined);
      return { value: sender.value as T, ok: true };
    }
    if (this.closed) return { value: undefined, ok: false };
    return undefined;
  }

  /** @internal Sends for `self`; false if that would block. */
  sendNow(value: T, self: Goroutine | undefined): boolean {
    if (this.closed) throw this.misuse('send on closed channel');
    if (this.buffer.length === 0) {
      const receiver = this.rt.parkedPartner(this, 'recv', self);
      if (receiver !== undefined) {
        this.rt.complete(receiver.g, receiver.index, { value, ok: true });
        return true;
      }
    }
    if (this.buffer.length < this.capacity) {
      this.buffer.push(value);
      this.rt.touch(this);
      return true;
    }
    return false;
  }

  private misuse(what: string): ModelError {
    const g = currentGoroutine();
    return new ModelError(`${what} ${this.name}`, g && { goroutine: g.actor, stack: g.stack });
  }
}

/** A receive case for `select`. */
export function recvCase<T>(ch: Chan<T>): RecvCase<T> {
  return { kind: 'recv', ch };
}

/** A send case for `select`. */
export function sendCase<T>(ch: Chan<T>, value: T): SendCase<T> {
  return { kind: 'send', ch, value };
}

type Outcome<C, I extends number> =
  C extends RecvCase<infer T>
    ? { readonly index: I; readonly value: T; readonly ok: true } | { readonly index: I; readonly value: undefined; readonly ok: false }
    : { readonly index: I; readonly value: undefined; readonly ok: true };

/** Which case of a `select` ran, narrowed by `index`: `if (r.index === 0) r.value`. */
export type Selected<Cs extends readonly SelectCase[]> = {
  // Tuple elements have keys "0", "1", ...; a plain array's elements have key number.
  [I in keyof Cs]: I extends `${infer N extends number}` ? Outcome<Cs[I], N> : I extends number ? Outcome<Cs[I], number> : never;
}[number];

/**
 * Go's `select` without `default` (use `tryRecv`/`trySend` for that): parks until a case
 * can run. When several can, each is a separate scheduler task and the strategy picks,
 * where Go would pick at random. `yield* select(recvCase(ctx.done()), recvCase(ch))`.
 */
export function* select<Cs extends SelectCase[]>(...cases: Cs): Generator<ChanOp, Selected<Cs>, unknown> {
  return (yield { kind: 'chan', select: true, cases }) as Selected<Cs>;
}
