import { FAULT, NSM, NSP } from '../world/environment.js';
import { memberOf, type Deadlock, type DeadlockMember, type Goroutine } from '../goroutine/index.js';

/** Lanes are grouped, left to right: the outside world, goroutines, the TAPAs, the servers, timers. */
export type LaneGroup = 'outside' | 'goroutine' | 'tapa' | 'server' | 'timers';

/** One column of the picture: a goroutine, or an actor of the simulated world. */
export interface Lane {
  /** The scheduler actor; `timers` gathers the Go timers, which are actors of their own. */
  readonly id: string;
  readonly title: string;
  readonly subtitle: string;
  readonly group: LaneGroup;
  /** In the deadlock cycle, unable ever to run again (parked behind the cycle), or neither. */
  readonly role: 'cycle' | 'stuck' | 'live';
  /** What a stuck goroutine holds and waits for, as a deadlock report says it. */
  readonly stuck?: DeadlockMember;
}

const TIMERS = 'timers';

const OUTSIDE: Readonly<Record<string, { title: string; subtitle: string }>> = {
  app: { title: 'application', subtitle: 'Tap calls' },
  world: { title: 'world', subtitle: 'NSP config, NSM, faults' },
  [FAULT]: { title: 'fault', subtitle: 'fault windows ending' },
};
const SERVERS: Readonly<Record<string, { title: string; subtitle: string }>> = {
  [NSP]: { title: 'NSP', subtitle: 'registry, watches' },
  [NSM]: { title: 'NSM', subtitle: 'connections, monitor' },
};

/**
 * The lanes of a run, ordered so that what matters is on the left: after the outside
 * world, the deadlock cycle side by side (its wait arrows stay short), then what is
 * parked behind it, then the other goroutines by TAPA and spawn order.
 */
export function lanesOf(
  actors: readonly string[],
  goroutines: ReadonlyMap<string, Goroutine>,
  tapas: readonly string[],
  deadlocks: readonly Deadlock[],
): Lane[] {
  const present = new Set(actors.map((a) => laneId(a, goroutines, tapas)));
  const cycle = deadlocks[0]?.cycle ?? [];
  const inCycle = new Set(cycle.map((m) => m.goroutine));
  const stuck = stuckAtEnd(goroutines, deadlocks);
  const tapaIndex = (g: Goroutine): number => tapas.indexOf(tapaOf(g.actor));
  const byTapa = (a: Goroutine, b: Goroutine): number => tapaIndex(a) - tapaIndex(b) || a.id - b.id;
  const reported = deadlocks.flatMap((d) => d.stuck.map((m) => m.goroutine)).filter((a) => !inCycle.has(a));
  const later = [...goroutines.values()]
    .filter((g) => stuck.has(g.actor) && !inCycle.has(g.actor) && !reported.includes(g.actor))
    .sort(byTapa);
  const others = [...goroutines.values()].filter((g) => !stuck.has(g.actor)).sort(byTapa);
  const goroutine = (actor: string): Lane => {
    const member = stuck.get(actor);
    return {
      id: actor,
      title: shortFunction(functionOf(actor)),
      subtitle: `#${goroutines.get(actor)?.id ?? '?'} · ${tapaOf(actor)}`,
      group: 'goroutine',
      role: inCycle.has(actor) ? 'cycle' : member ? 'stuck' : 'live',
      ...(member ? { stuck: member } : {}),
    };
  };
  const named = (id: string, group: LaneGroup, text: { title: string; subtitle: string }): Lane => ({ id, ...text, group, role: 'live' });
  const hasGoroutines = (tapa: string): boolean => [...goroutines.keys()].some((a) => tapaOf(a) === tapa);
  const lanes: Lane[] = [
    ...Object.entries(OUTSIDE).map(([id, text]) => named(id, 'outside', text)),
    ...cycle.map((m) => goroutine(m.goroutine)),
    ...[...new Set(reported)].map(goroutine),
    ...later.map((g) => goroutine(g.actor)),
    ...others.map((g) => goroutine(g.actor)),
    ...tapas.map((t) => named(t, 'tapa', { title: t, subtitle: hasGoroutines(t) ? 'RPC answers, stream messages' : 'TAPA core' })),
    ...Object.entries(SERVERS).map(([id, text]) => named(id, 'server', text)),
    named(TIMERS, 'timers', { title: 'timers', subtitle: 'time.After, deadlines' }),
  ];
  return lanes.filter((l) => present.has(l.id));
}

/**
 * The goroutines that can never run again when the run ends: those a deadlock report
 * names, and those parked on a lock or a WaitGroup that one of them holds or owes, as
 * they pile up while the world lingers on (channel waits could still be ended from
 * outside, so they are left out). What each one holds and waits for, as a report says it.
 */
function stuckAtEnd(goroutines: ReadonlyMap<string, Goroutine>, deadlocks: readonly Deadlock[]): Map<string, DeadlockMember> {
  const stuck = new Map<string, DeadlockMember>();
  for (const d of deadlocks) for (const m of d.stuck) if (!stuck.has(m.goroutine)) stuck.set(m.goroutine, m);
  const blocked = [...goroutines.values()].filter((g) => g.state === 'blocked').map(memberOf);
  for (let grown = stuck.size > 0; grown;) {
    grown = false;
    for (const m of blocked) {
      const w = m.waitsFor;
      if (stuck.has(m.goroutine) || (w.op !== 'lock' && w.op !== 'wait') || !w.on.some((a) => stuck.has(a))) continue;
      stuck.set(m.goroutine, m);
      grown = true;
    }
  }
  return stuck;
}

/** The lane a step of `actor` is drawn in. */
export function laneId(actor: string, goroutines: ReadonlyMap<string, Goroutine>, tapas: readonly string[]): string {
  if (goroutines.has(actor) || actor in OUTSIDE || actor in SERVERS || tapas.includes(actor)) return actor;
  return TIMERS;
}

/** `target-1/conduit.(*Conduit).monitorConnection#6` belongs to `target-1`. */
function tapaOf(actor: string): string {
  return actor.split('/')[0]!;
}

function functionOf(actor: string): string {
  return actor.slice(actor.indexOf('/') + 1).replace(/#\d+$/, '');
}

/** `conduit.(*Conduit).GetIPs` reads as `Conduit.GetIPs`: the package and pointer add nothing in a lane title. */
function shortFunction(frame: string): string {
  return frame.replace(/^[\w-]+\.(?=.)/, '').replace(/\(\*(\w+)\)/, '$1');
}
