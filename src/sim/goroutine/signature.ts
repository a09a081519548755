import type { Goroutine } from './goroutine.js';
import type { LockOrderCycle } from './lockorder.js';
import { normalizeFrame } from './pprof.js';
import type { Deadlock } from './waitfor.js';

/**
 * Signatures of what goroutines are stuck in: the same bug gives the same text in every
 * run, whatever the seed, so that a hunt can bucket its failures. Only function and lock
 * names go in, never goroutine ids, times, channel or context numbers, or the TAPA a
 * goroutine belongs to (normalizeFrame drops the `<tapa>/` prefix like an import path).
 *
 * A stack reads innermost first, frames joined by ` < `; a set of stacks is sorted and
 * joined by ` | `, so it does not depend on which member closed a cycle or parked first.
 */
export function stackSignature(stack: readonly string[]): string {
  return stack.map(normalizeFrame).join(' < ');
}

/** The stacks, deduplicated and sorted. */
export function stacksSignature(stacks: readonly (readonly string[])[]): string {
  return [...new Set(stacks.map(stackSignature))].sort().join(' | ');
}

/** The parked stacks of the goroutines in the cycle (not those parked behind it). */
export function deadlockSignature(d: Deadlock): string {
  return stacksSignature(d.cycle.map((m) => m.stack));
}

/** The goroutines parked on a mutex or a WaitGroup, the ones a hang report is about. */
export function syncBlockedSignature(goroutines: readonly Goroutine[]): string {
  const blocked = goroutines.filter((g) => g.state === 'blocked' && typeof g.op === 'object' && g.op.kind !== 'chan');
  return stacksSignature(blocked.map((g) => g.stack));
}

/** The lock classes of each cycle, already rotated to their smallest name (LockOrder.cycles). */
export function lockOrderSignature(cycles: readonly LockOrderCycle[]): string {
  return [...new Set(cycles.map((c) => c.locks.join(' -> ')))].sort().join(' | ');
}
