import type { Chan } from './chan.js';
import type { Mutex } from './mutex.js';
import type { WaitGroup } from './waitgroup.js';

/**
 * The body of a goroutine, or of a model function it calls with `yield*`: a generator
 * that yields one {@link Op} at each point where the Go code could block, and returns
 * the function's result. The runtime resumes it with the op's result.
 *
 * @typeParam R - what the modelled Go function returns.
 */
export type Go<R = void> = Generator<Op, R, unknown>;

/** Waiting for a `sync.Mutex`. */
export interface LockOp {
  readonly kind: 'lock';
  readonly mutex: Mutex;
}

/** `sync.(*WaitGroup).Wait`. */
export interface WaitOp {
  readonly kind: 'wait';
  readonly wg: WaitGroup;
}

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

/** `time.Sleep`, in virtual milliseconds. */
export interface SleepOp {
  readonly kind: 'sleep';
  readonly ms: number;
}

export type Op = LockOp | WaitOp | ChanOp | SleepOp;

const KINDS: ReadonlySet<string> = new Set(['lock', 'wait', 'chan', 'sleep']);

export function isOp(x: unknown): x is Op {
  return typeof x === 'object' && x !== null && KINDS.has((x as { kind?: unknown }).kind as string);
}

/**
 * The frames a Go goroutine dump shows above the model's frames while parked in this op,
 * innermost first, copied from real dumps (Meridio #578) so that a model's dump reads,
 * and parses, like the real one. The last frame is the one a model "calls".
 */
export function parkFrames(op: Op): readonly string[] {
  switch (op.kind) {
    case 'lock':
      return MUTEX_PARK;
    case 'wait':
      return WAITGROUP_PARK;
    case 'chan':
      if (op.select) return SELECT_PARK;
      return op.cases[0]?.kind === 'send' ? SEND_PARK : RECV_PARK;
    case 'sleep':
      return SLEEP_PARK;
  }
}

/**
 * The sync or runtime function the model is inside while parked, as the innermost
 * frame of a goroutine's stack: `sync.(*Mutex).Lock`, `sync.(*WaitGroup).Wait`,
 * `runtime.chanrecv1`, `runtime.chansend1`, `runtime.selectgo` or `time.Sleep`.
 */
export function blockingFrame(op: Op): string {
  const frames = parkFrames(op);
  return frames[frames.length - 1]!.replace(INLINE, '');
}

const INLINE = / \(inline\)$/;

const MUTEX_PARK = [
  'runtime.gopark',
  'runtime.goparkunlock (inline)',
  'runtime.semacquire1',
  'sync.runtime_SemacquireMutex',
  'sync.(*Mutex).lockSlow',
  'sync.(*Mutex).Lock (inline)',
];
const WAITGROUP_PARK = [
  'runtime.gopark',
  'runtime.goparkunlock (inline)',
  'runtime.semacquire1',
  'sync.runtime_Semacquire',
  'sync.(*WaitGroup).Wait',
];
const RECV_PARK = ['runtime.gopark', 'runtime.chanrecv', 'runtime.chanrecv1'];
const SEND_PARK = ['runtime.gopark', 'runtime.chansend', 'runtime.chansend1'];
const SELECT_PARK = ['runtime.gopark', 'runtime.selectgo'];
const SLEEP_PARK = ['runtime.gopark', 'time.Sleep'];

/** Short text for logs and reports: `lock conduit.mu`, `recv streamChan`, ... */
export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'lock':
      return `lock ${op.mutex.name}`;
    case 'wait':
      return `wait ${op.wg.name}`;
    case 'chan':
      if (op.select) return `select ${op.cases.map(describeCase).join(' | ')}`;
      return describeCase(op.cases[0]!);
    case 'sleep':
      return `sleep ${op.ms}ms`;
  }
}

export function describeCase(c: SelectCase): string {
  return `${c.kind} ${c.ch.name}`;
}
