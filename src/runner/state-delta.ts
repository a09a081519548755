import type { Changes, TapaState } from '../core/index.js';
import type { ConduitState, InterfaceName, Pending, StreamAt, StreamState, TimerOwner } from '../core/state.js';

/**
 * What the steps of a stretch of time did to the core's state, copied as it was at the
 * end of it: applied to a copy of the state as it was at the start, it brings that copy
 * to the end. Its size is that of what changed (the streams, calls and timers the steps
 * touched), plus the conduits, watchers and interface names, which are few, whole.
 *
 * Maps keep their order: the core iterates in insertion order, so the order is part of
 * the state. A key set again keeps its place; one deleted and set again goes to the end.
 * A stream is filed as a new object, touched as it is filed, and one is dropped before
 * another of its name is filed: the streams dropped go first, then the others in the
 * order of their first touch, which files new ones in the order the core did. A stream
 * joins the registry again as the same object, so the core keeps the order of joins
 * apart. Call and timer ids only grow: new ones are in id order. A conduit is dropped
 * once its streams are (or at the end of a shutdown, after which none is made), so one
 * made again under the same name finds an empty place.
 *
 * Copies are shallow: what the core changes in place is the streams' and conduits' own
 * fields, a conduit's NSM op and watches, and an interface name's release; every other
 * object in the state gets a new value when it changes, so copy and state share it (the
 * property test in test/runner/state-delta.test.ts holds the core to all of this).
 */
export interface StateDelta {
  readonly nextId: number;
  readonly rng: TapaState['rng'];
  readonly shutdown: TapaState['shutdown'];
  readonly shutdownTimer: number | undefined;
  /** Every conduit's own fields, by trench, in order; its streams are carried apart. */
  readonly trenches: readonly (readonly [string, readonly ConduitState[]])[];
  /** Streams touched and dropped: the core's own objects, of which only where they were filed is read. */
  readonly dropped: readonly StreamState[];
  /** Copies of the streams touched and filed, in the order of their first touch. */
  readonly streams: readonly StreamState[];
  /** Registry keys that left and are not back. */
  readonly left: readonly string[];
  /** Registry entries that joined, in the order of their last join. */
  readonly joined: readonly (readonly [string, StreamAt])[];
  /** Calls and timers begun or over, as the core told them, each with its owner at the end (undefined: over). */
  readonly pending: Owners<Pending>;
  readonly timers: Owners<TimerOwner>;
  readonly watchers: TapaState['watchers'];
  readonly interfaceNames: TapaState['interfaceNames'];
}

/** The delta of the steps that filled `changes`, which it keeps: fill a new one from here on. */
export function takeDelta(state: TapaState, changes: Changes): StateDelta {
  const trenches = [...state.trenches.values()].map((trench) => [trench.name, [...trench.conduits.values()].map(copyConduit)] as const);
  const dropped: StreamState[] = [];
  const streams: StreamState[] = [];
  for (const s of changes.streams) {
    if (changes.dropped.has(s)) dropped.push(s);
    else streams.push(copyStream(s));
  }
  const left: string[] = [];
  const joined: [string, StreamAt][] = [];
  for (const s of changes.joined) {
    const at = state.registry.get(s.key);
    if (at) joined.push([s.key, at]);
    else left.push(s.key);
  }
  return {
    nextId: state.nextId,
    rng: [...state.rng],
    shutdown: state.shutdown,
    shutdownTimer: state.shutdownTimer,
    trenches,
    dropped,
    streams,
    left,
    joined,
    pending: ownersOf(changes.pending, state.pending),
    timers: ownersOf(changes.timers, state.timers),
    watchers: new Map(state.watchers),
    interfaceNames: new Map([...state.interfaceNames].map(([connection, name]): [string, InterfaceName] => [connection, { ...name }])),
  };
}

/** Brings `state`, a copy as it was where `delta` began, to where it ended. The delta's copies become the state's own. */
export function applyDelta(state: TapaState, delta: StateDelta): void {
  const writable = state as { -readonly [K in keyof TapaState]: TapaState[K] };
  writable.nextId = delta.nextId;
  writable.rng = delta.rng;
  writable.shutdown = delta.shutdown;
  writable.shutdownTimer = delta.shutdownTimer;
  const trenches: TapaState['trenches'] = new Map();
  for (const [name, conduits] of delta.trenches) {
    const before = state.trenches.get(name)?.conduits;
    const trench = { name, conduits: new Map<string, ConduitState>() };
    for (const copy of conduits) trench.conduits.set(copy.name, { ...copy, streams: before?.get(copy.name)?.streams ?? new Map() });
    trenches.set(name, trench);
  }
  writable.trenches = trenches;
  const streamsOf = (s: StreamState): Map<string, StreamState> | undefined => trenches.get(s.trench)?.conduits.get(s.conduit)?.streams;
  for (const gone of delta.dropped) streamsOf(gone)?.delete(gone.name);
  for (const copy of delta.streams) streamsOf(copy)?.set(copy.name, copy);
  for (const key of delta.left) state.registry.delete(key);
  for (const [key, at] of delta.joined) {
    state.registry.delete(key);
    state.registry.set(key, at);
  }
  applyOwners(state.pending, delta.pending);
  applyOwners(state.timers, delta.timers);
  writable.watchers = delta.watchers;
  writable.interfaceNames = delta.interfaceNames;
}

/** Ids, and their owners where they stood at the end of the delta, side by side. */
interface Owners<T> {
  readonly ids: readonly number[];
  readonly owners: readonly (T | undefined)[];
}

/**
 * An id comes once or twice (begun and over), in the order it happened: those begun come in
 * the order of their ids, which is the order the core's map has them in, and an id set again
 * keeps its place.
 */
function ownersOf<T>(ids: readonly number[], now: ReadonlyMap<number, T>): Owners<T> {
  return { ids, owners: ids.map((id) => now.get(id)) };
}

function applyOwners<T>(map: Map<number, T>, changes: Owners<T>): void {
  for (let i = 0; i < changes.ids.length; i++) {
    const id = changes.ids[i]!;
    const owner = changes.owners[i];
    if (owner === undefined) map.delete(id);
    else map.set(id, owner);
  }
}

/** The conduit's own fields as they are now; its streams are carried apart. */
function copyConduit(c: ConduitState): ConduitState {
  return {
    ...c,
    streams: new Map(),
    watches: { streams: { ...c.watches.streams }, flows: { ...c.watches.flows }, monitor: { ...c.watches.monitor } },
    nsmOp: c.nsmOp && { ...c.nsmOp },
  };
}

/**
 * A shallow copy, field by field rather than spread: V8 sees that the copies made here live
 * on (until their delta is applied) and makes them in the old generation at once, where a
 * spread's copies were made young and then copied by every scavenge they outlived, which was
 * most of what the recorder cost the runner (bench/recorder-figures.ts). `satisfies` keeps
 * the list whole.
 */
function copyStream(s: StreamState): StreamState {
  const copy = {
    trench: s.trench,
    conduit: s.conduit,
    name: s.name,
    key: s.key,
    tap: s.tap,
    wanted: s.wanted,
    status: s.status,
    identifier: s.identifier,
    registered: s.registered,
    op: s.op,
    timer: s.timer,
    failed: s.failed,
    redraws: s.redraws,
  } satisfies Record<keyof StreamState, unknown>;
  return copy;
}
