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

export function isOp(x: unknown): x is Op {
  if (typeof x !== 'object' || x === null) return false;
  const kind = (x as { kind?: unknown }).kind;
  return kind === 'lock' || kind === 'wait' || kind === 'chan' || kind === 'sleep';
}

/**
 * The op a goroutine yielded and waits to complete, 'start' before its first step,
 * undefined while it runs. Only the runtime sets it, and only to ops that passed `isOp`
 * when they were yielded: read on every step of every goroutine, it is not checked again.
 */
export function opOf(g: Goroutine): Op | 'start' | undefined {
  return g.op as Op | 'start' | undefined;
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
