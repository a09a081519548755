import type { Goroutine, Held } from './goroutine.js';
import type { Mutex } from './mutex.js';
import { opOf } from './op.js';
import { stackSignature } from './signature.js';
import { memberOf, type DeadlockMember } from './waitfor.js';

/**
 * Retry rounds a lock holder may go through while someone waits for the lock. Go code
 * that holds a lock across one call with a deadline is normal; a holder that sleeps
 * between attempts again and again keeps every waiter out for as long as its peer keeps
 * failing, which no timeout of the model bounds. Three rounds is three of the holder's
 * own retry periods, so the bound follows the model's timing (and the network's latency,
 * since each attempt takes its time), not a fixed number of seconds.
 */
export const STALL_ROUNDS = 3;

/** The goroutine that keeps running with a lock others wait for. */
export interface StallHolder {
  /** Unique name, `name#id`. */
  readonly goroutine: string;
  /** The lock of the chain it holds, and the stack that took it (innermost first). */
  readonly lock: string;
  readonly lockedBy: readonly string[];
  /** Where it is now, innermost first. */
  readonly stack: readonly string[];
  readonly holds: readonly string[];
}

/**
 * A goroutine parked on a mutex whose holder (or, if the holder is parked on another
 * mutex, that one's holder, and so on) is not stuck but keeps retrying: it went through
 * STALL_ROUNDS retry delays (a `sleep`, a `time.After`) while holding its lock after the
 * waiter parked. Unlike a deadlock it clears once the holder's peer recovers; until then
 * every Tap call behind the lock waits.
 */
export interface Stall {
  /** Virtual ms. */
  readonly time: number;
  /** The goroutine that has waited longest on the lock of the one that keeps running. */
  readonly waiter: DeadlockMember;
  /** Virtual ms the waiter had waited. */
  readonly waitedMs: number;
  /** The goroutine that keeps running. */
  readonly holder: StallHolder;
  /** Goroutines parked behind the waiter, on locks held along a chain that ends at the holder. */
  readonly behind: readonly DeadlockMember[];
  /** Retry delays the last holder went through while the waiter waited. */
  readonly rounds: number;
}

/** The lock `g` is parked on, if it is parked on one. */
function lockOf(g: Goroutine): Mutex | undefined {
  const op = opOf(g);
  return g.state === 'blocked' && typeof op === 'object' && op.kind === 'lock' ? op.mutex : undefined;
}

/**
 * A stall behind `runner`, which has just gone through a retry delay at `now`, if any.
 * The waiter reported is the one parked longest directly on the runner's lock, whichever
 * goroutine parked behind it first, so that one bug gives one report.
 */
export function findStall(goroutines: readonly Goroutine[], runner: Goroutine, now: number): Stall | undefined {
  if (runner.held.length === 0) return undefined;
  const chains = goroutines.map((g) => ({ g, chain: holderChain(g) })).filter(({ chain }) => chain.at(-1)?.g === runner);
  const direct = chains.filter(({ chain }) => chain.length === 1).sort((a, b) => a.g.parkedAt - b.g.parkedAt || a.g.id - b.g.id);
  for (const { g: waiter, chain } of direct) {
    const { held } = chain[0]!;
    const rounds = runner.delays.filter((t) => t >= Math.max(waiter.parkedAt, held.since)).length;
    if (rounds < STALL_ROUNDS) continue;
    return {
      time: now,
      waiter: memberOf(waiter),
      waitedMs: now - waiter.parkedAt,
      holder: { goroutine: runner.actor, lock: held.mutex.name, lockedBy: held.stack, stack: runner.stack, holds: runner.holds },
      behind: chains.filter(({ chain: c }) => c.length > 1).map(({ g }) => memberOf(g)),
      rounds,
    };
  }
  return undefined;
}

/** Holder after holder, while each is parked on a further mutex; empty if `g` waits for no lock. */
function holderChain(g: Goroutine): { g: Goroutine; held: Held }[] {
  const chain: { g: Goroutine; held: Held }[] = [];
  const seen = new Set<Goroutine>([g]);
  for (let mutex = lockOf(g); mutex !== undefined;) {
    const holder = mutex.holder;
    const held = holder?.held.find((h) => h.mutex === mutex);
    if (holder === undefined || held === undefined || seen.has(holder)) return [];
    chain.push({ g: holder, held });
    seen.add(holder);
    mutex = lockOf(holder);
  }
  return chain;
}

/** A stall as text for a log or a bug report. */
export function formatStall(s: Stall): string {
  const w = s.waiter;
  const lines = [`stall at ${s.time}ms: ${w.goroutine} has waited ${s.waitedMs} ms for ${w.waitsFor.object}`];
  lines.push(`    holds: ${w.holds.length === 0 ? '-' : w.holds.join(', ')}`);
  for (const f of w.stack) lines.push(`      ${f}`);
  const h = s.holder;
  lines.push(`  ${h.lock} is held by ${h.goroutine}, which keeps retrying (${s.rounds} retry delays so far)`);
  lines.push(`    took it at:`);
  for (const f of h.lockedBy) lines.push(`      ${f}`);
  lines.push(`    now at (holds: ${h.holds.join(', ')}):`);
  for (const f of h.stack) lines.push(`      ${f}`);
  if (s.behind.length > 0)
    lines.push(`parked behind it: ${s.behind.map((m) => `${m.goroutine} (${m.waitsFor.op} ${m.waitsFor.object})`).join(', ')}`);
  return lines.join('\n');
}

/** The waiter's parked stack, and the stack with which the goroutine that keeps running took its lock. */
export function stallSignature(s: Stall): string {
  return `${stackSignature(s.waiter.stack)} held by ${stackSignature(s.holder.lockedBy)}`;
}
