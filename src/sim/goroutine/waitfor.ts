import type { Goroutine } from './goroutine.js';
import { opOf } from './op.js';

/** What a parked goroutine waits for, in a report. */
export interface WaitDescription {
  /** The Go operation: `lock`, `wait` (WaitGroup), `recv`, `send` or `select`. */
  readonly op: 'lock' | 'wait' | 'recv' | 'send' | 'select';
  /** The mutex, WaitGroup or channel name(s): `conduit.mu`, `sm.wg`, `streamChan, ctx#2.Done`. */
  readonly object: string;
  /** The goroutines whose next action it waits for: the holder, the debtors, the registered partners. */
  readonly on: readonly string[];
}

/** One goroutine of a deadlock report. */
export interface DeadlockMember {
  /** Unique name, `name#id`. */
  readonly goroutine: string;
  /** Innermost first, starting with the Go frame it is parked in (`sync.(*Mutex).Lock`, ...). */
  readonly stack: readonly string[];
  /** Mutex names it holds, in acquisition order. */
  readonly holds: readonly string[];
  readonly waitsFor: WaitDescription;
}

/**
 * A cycle in the wait-for graph, reported the moment the step that closes it ends, even
 * if other goroutines could still run (Go's own detector only notices when all sleep).
 */
export interface Deadlock {
  /** Virtual ms. */
  readonly time: number;
  /** Log `seq` of the scheduler step that closed the cycle. */
  readonly step: number;
  /** The member that parked last: its step closed the cycle. `cycle[0]` is this member. */
  readonly closedBy: string;
  /** `cycle[i]` waits for `cycle[i + 1]`, and the last waits for the first. */
  readonly cycle: readonly DeadlockMember[];
  /**
   * Every goroutine that can now never run again: the cycle first, then, in spawn
   * order, those parked behind it (the cascade of a real dump: Tap.Open on tap.mu, ...).
   */
  readonly stuck: readonly DeadlockMember[];
}

/**
 * The wait-for edges of a parked goroutine. `all`: it needs every target to act (a
 * mutex holder; WaitGroup debtors), so one stuck target is enough to stick it. `any`:
 * one target acting would do (registered channel partners), so it is stuck only when
 * every live target is. `external`: something outside the goroutines (a timer, a
 * context cancel, an unregistered party) could wake it; it is never reported.
 */
interface Wait {
  readonly mode: 'all' | 'any';
  readonly targets: readonly Goroutine[];
  readonly external: boolean;
  readonly description: WaitDescription;
}

function alive(g: Goroutine): boolean {
  return g.ended === undefined;
}

function byId(a: Goroutine, b: Goroutine): number {
  return a.id - b.id;
}

export function waitOf(g: Goroutine): Wait | undefined {
  const op = opOf(g);
  if (typeof op !== 'object') return undefined;
  const describe = (kind: WaitDescription['op'], object: string, targets: readonly Goroutine[]): WaitDescription => ({
    op: kind,
    object,
    on: targets.map((t) => t.actor),
  });
  switch (op.kind) {
    case 'lock': {
      const holder = op.mutex.holder;
      const targets = holder !== undefined && alive(holder) ? [holder] : [];
      return { mode: 'all', targets, external: false, description: describe('lock', op.mutex.name, targets) };
    }
    case 'wait': {
      const targets = op.wg.debtors.filter(alive);
      return { mode: 'all', targets, external: false, description: describe('wait', op.wg.name, targets) };
    }
    case 'chan': {
      let external = false;
      const targets = new Set<Goroutine>();
      for (const c of op.cases) {
        const partners = c.kind === 'recv' ? c.ch.senders : c.ch.receivers;
        if (partners.size === 0) external = true;
        for (const p of partners) if (p !== g && alive(p)) targets.add(p);
      }
      const sorted = [...targets].sort(byId);
      const kind = op.select ? 'select' : op.cases[0]!.kind;
      const object = op.cases.map((c) => c.ch.name).join(', ');
      return { mode: 'any', targets: sorted, external, description: describe(kind, object, sorted) };
    }
    case 'sleep':
      return undefined;
  }
}

/**
 * Whether `g`'s wait is stuck if the goroutines `stuck` says are never run again: what
 * its wait (`waitOf`) says, read off the op without building the wait. `stuck` says so
 * only of live goroutines.
 */
function stuckAmong(g: Goroutine, stuck: (t: Goroutine) => boolean): boolean {
  const op = opOf(g);
  if (typeof op !== 'object') return false;
  switch (op.kind) {
    case 'lock': {
      const holder = op.mutex.holder;
      return holder !== undefined && stuck(holder);
    }
    case 'wait':
      for (const d of op.wg.owed.keys()) if (stuck(d)) return true;
      return false;
    case 'chan': {
      let targets = 0;
      for (const c of op.cases) {
        const partners = c.kind === 'recv' ? c.ch.senders : c.ch.receivers;
        if (partners.size === 0) return false;
        for (const p of partners) {
          if (p === g || !alive(p)) continue;
          if (!stuck(p)) return false;
          targets++;
        }
      }
      return targets > 0;
    }
    case 'sleep':
      return false;
  }
}

function parkedOrFrozen(g: Goroutine): boolean {
  return alive(g) && (g.parked || g.frozen);
}

/**
 * Whether `g` is stuck if every parked goroutine stays parked: the first round of
 * `findDeadlock`'s fixpoint. A new deadlock needs a goroutine not yet reported for which
 * it holds, and after most steps there is none.
 */
export function stuckIfParked(g: Goroutine): boolean {
  return stuckAmong(g, parkedOrFrozen);
}

/** The members of a new deadlock, as goroutines; see `findDeadlock`. */
export interface Found {
  readonly cycle: readonly Goroutine[];
  readonly stuck: readonly Goroutine[];
}

/**
 * Looks for a new deadlock among `parked` goroutines (parked now, or frozen by an
 * earlier report). First the greatest set S of goroutines that can never run again,
 * given that only goroutines in S could wake each other (a fixpoint: drop any member
 * whose wake-up does not depend on S alone); every member of S has a target in S, so
 * following targets ends in a cycle. A cycle made only of goroutines not yet reported
 * is a new deadlock; goroutines parked behind an old one are not.
 */
export function findDeadlock(parked: readonly Goroutine[]): Found | undefined {
  const stuck = new Set(parked);
  const inStuck = (t: Goroutine): boolean => stuck.has(t);
  for (let changed = true; changed;) {
    changed = false;
    for (const g of stuck) {
      if (g.frozen || stuckAmong(g, inStuck)) continue;
      stuck.delete(g);
      changed = true;
    }
  }
  const fresh = [...stuck].filter((g) => !g.frozen).sort(byId);
  if (fresh.length === 0) return undefined;
  const waits = new Map(fresh.map((g) => [g, waitOf(g)]));
  const cycle = cycleAmong(fresh, waits);
  if (cycle === undefined) return undefined;
  const inCycle = new Set(cycle);
  return { cycle, stuck: [...cycle, ...fresh.filter((g) => !inCycle.has(g))] };
}

/**
 * A cycle in the wait-for graph restricted to `nodes`, rotated to start at the member
 * that parked last, or undefined. Depth-first from the most recently parked goroutine,
 * so the report is the cycle its step closed.
 */
function cycleAmong(nodes: readonly Goroutine[], waits: ReadonlyMap<Goroutine, Wait | undefined>): Goroutine[] | undefined {
  const inSet = new Set(nodes);
  const next = (g: Goroutine): Goroutine[] => (waits.get(g)?.targets ?? []).filter((t) => inSet.has(t));
  const roots = [...nodes].sort((a, b) => b.parkSeq - a.parkSeq || a.id - b.id);
  const done = new Set<Goroutine>();
  for (const root of roots) {
    if (done.has(root)) continue;
    const path: Goroutine[] = [];
    const onPath = new Map<Goroutine, number>();
    const iters: number[] = [];
    path.push(root);
    onPath.set(root, 0);
    iters.push(0);
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const succ = next(top);
      const i = iters[iters.length - 1]!;
      if (i >= succ.length) {
        path.pop();
        iters.pop();
        onPath.delete(top);
        done.add(top);
        continue;
      }
      iters[iters.length - 1] = i + 1;
      const t = succ[i]!;
      const at = onPath.get(t);
      if (at !== undefined) return rotate(path.slice(at));
      if (done.has(t)) continue;
      onPath.set(t, path.length);
      path.push(t);
      iters.push(0);
    }
  }
  return undefined;
}

function rotate(cycle: Goroutine[]): Goroutine[] {
  let last = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]!.parkSeq > cycle[last]!.parkSeq) last = i;
  return [...cycle.slice(last), ...cycle.slice(0, last)];
}

export function memberOf(g: Goroutine): DeadlockMember {
  const description = waitOf(g)?.description;
  if (description === undefined) throw new Error(`memberOf: ${g.actor} is not parked`);
  return { goroutine: g.actor, stack: g.stack, holds: g.holds, waitsFor: description };
}

/** A deadlock as text for a log or a bug report. */
export function formatDeadlock(d: Deadlock): string {
  const lines = [`deadlock at ${d.time}ms (step ${d.step}), closed by ${d.closedBy}:`];
  const member = (m: DeadlockMember): void => {
    const on = m.waitsFor.on.length === 0 ? '' : ` (on ${m.waitsFor.on.join(', ')})`;
    lines.push(`  ${m.goroutine}`);
    lines.push(`    waits: ${m.waitsFor.op} ${m.waitsFor.object}${on}`);
    lines.push(`    holds: ${m.holds.length === 0 ? '-' : m.holds.join(', ')}`);
    for (const f of m.stack) lines.push(`      ${f}`);
  };
  d.cycle.forEach(member);
  const behind = d.stuck.slice(d.cycle.length);
  if (behind.length > 0) {
    lines.push('parked behind it:');
    behind.forEach(member);
  }
  return lines.join('\n');
}
