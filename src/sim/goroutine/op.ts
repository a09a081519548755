import type { ChanOp, SelectCase } from './chan.js';
import type { Goroutine } from './goroutine.js';
import type { LockOp } from './mutex.js';
import type { SleepOp } from './sleep.js';
import type { WaitOp } from './waitgroup.js';

/**
 * The body of a goroutine, or of a model function it calls with `yield*`: a generator
 * that yields one {@link Op} at each point where the Go code could block, and returns
 * the function's result. The runtime resumes it with the op's result.
 *
 * @typeParam R - what the modelled Go function returns.
 */
export type Go<R = void> = Generator<Op, R, unknown>;

/**
 * What a goroutine can block on: a mutex (mutex.ts), a WaitGroup (waitgroup.ts), a
 * channel or select (chan.ts), a sleep (sleep.ts). Each primitive yields its own.
 */
export type Op = LockOp | WaitOp | ChanOp | SleepOp;

const KINDS: ReadonlySet<string> = new Set(['lock', 'wait', 'chan', 'sleep']);

export function isOp(x: unknown): x is Op {
  return typeof x === 'object' && x !== null && KINDS.has((x as { kind?: unknown }).kind as string);
}

/**
 * The op a goroutine yielded and waits to complete, 'start' before its first step,
 * undefined while it runs. The runtime stores only ops that passed `isOp`.
 */
export function opOf(g: Goroutine): Op | 'start' | undefined {
  const op = g.op;
  if (op === 'start' || op === undefined || isOp(op)) return op;
  throw new Error(`${g.actor} is parked in something that is not an op`);
}

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
