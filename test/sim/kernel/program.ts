import fc from 'fast-check';
import { Scheduler, type SchedulerOptions } from '../../../src/sim/kernel/scheduler.js';
import type { Strategy } from '../../../src/sim/kernel/strategy.js';

/**
 * A small generated world: each node is a task that, when it runs, creates its children
 * (immediate tasks, or timers when `delay` is set) and may cancel an earlier task. It
 * has the shape of the real sim (actors answering each other, timers re-armed and
 * cancelled) without any of its semantics.
 */
export interface ProgramNode {
  readonly actor: string;
  /** null: an immediate task; otherwise a timer this many virtual ms after its parent ran. */
  readonly delay: number | null;
  /** Cancels the task created this many creations ago, if it is still pending. */
  readonly cancel: number | null;
  readonly children: readonly ProgramNode[];
}

export type Program = readonly ProgramNode[];

const actors = ['tapa-1', 'tapa-2', 'nsp', 'nsm', 'app'] as const;

function nodeArb(depth: number): fc.Arbitrary<ProgramNode> {
  return fc.record({
    actor: fc.constantFrom(...actors),
    // Few distinct delays, so timers often share a due time; some beyond the default latency bound.
    delay: fc.option(fc.constantFrom(0, 5, 10, 500, 1000, 2500), { freq: 3 }),
    cancel: fc.option(fc.nat({ max: 6 }), { freq: 1 }),
    children: depth === 0 ? fc.constant([]) : fc.array(nodeArb(depth - 1), { maxLength: 3 }),
  });
}

export const programArb: fc.Arbitrary<Program> = fc.array(nodeArb(3), { minLength: 1, maxLength: 4 });

export interface Outcome {
  readonly scheduler: Scheduler;
  readonly stop: string;
  /** For each immediate task that ran: virtual ms between its creation and its run. */
  readonly waits: readonly number[];
  /** Timers that ran at a time other than their due time. */
  readonly lateTimers: number;
}

export function runProgram(program: Program, strategy: Strategy, options: SchedulerOptions = {}): Outcome {
  const s = new Scheduler(strategy, options);
  const created: number[] = [];
  const waits: number[] = [];
  let lateTimers = 0;
  const schedule = (node: ProgramNode, path: string): void => {
    const label = `${node.delay === null ? 'do' : `timer +${node.delay}`} ${path}`;
    const createdAt = s.now;
    const run = (): void => {
      if (node.delay === null) waits.push(s.now - createdAt);
      else if (s.now !== createdAt + node.delay) lateTimers++;
      if (node.cancel !== null) {
        const id = created[created.length - 1 - node.cancel];
        if (id !== undefined) s.cancel(id);
      }
      node.children.forEach((child, i) => schedule(child, `${path}.${i}`));
    };
    created.push(node.delay === null ? s.spawn(node.actor, label, run) : s.after(node.delay, node.actor, label, run));
  };
  program.forEach((node, i) => schedule(node, `${i}`));
  // A program has at most 4 * (1 + 3 + 9 + 27) nodes, so a longer run is a bug.
  const stop = s.run({ maxSteps: 1000 });
  return { scheduler: s, stop, waits, lateTimers };
}

/** One actor doing `length` steps one after the other. */
export function chain(actor: string, length: number): ProgramNode {
  return { actor, delay: null, cancel: null, children: length > 1 ? [chain(actor, length - 1)] : [] };
}
