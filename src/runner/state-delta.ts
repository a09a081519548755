import type { Changes, TapaState } from '../core/index.js';
import type { ConduitState, InterfaceName, Pending, StreamAt, StreamState, TimerOwner } from '../core/state.js';

/** Calls or timers begun or over: their ids, and at the same index the owner now, or undefined when it is over. */
interface OwnerChanges<T> {
  readonly ids: readonly number[];
  readonly owners: readonly (T | undefined)[];
}

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
 * order of their first touch, which files new ones in the order the core did. A stream joins the
 * registry again as the same object, so the core keeps the order of joins apart. Call
 * and timer ids only grow: new ones are in id order. A conduit is dropped once its
 * streams are (or at the end of a shutdown, after which none is made), so one made again
 * under the same name finds an empty place.
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
  /** Registry keys no longer registered. */
  readonly left: readonly string[];
  /** Registry entries that joined, in the order of their last join. */
  readonly joined: readonly (readonly [string, StreamAt])[];
  readonly pending: OwnerChanges<Pending>;
  readonly timers: OwnerChanges<TimerOwner>;
  readonly watchers: TapaState['watchers'];
  readonly interfaceNames: TapaState['interfaceNames'];
}

/**
 * The delta of the steps that filled `changes` (fill a new one from here on). `since`:
 * the state's nextId when they began; a call or timer of a later id that is already over
 * never was in the copy the delta is for, and most are: an NSP call is answered within
 * milliseconds.
 */
export function takeDelta(state: TapaState, changes: Changes, since: number): StateDelta {
  const trenches = [...state.trenches.values()].map((trench) => [trench.name, [...trench.conduits.values()].map(copyConduit)] as const);
  const dropped: StreamState[] = [];
  const streams: StreamState[] = [];
  const left: string[] = [];
  for (const s of changes.streams) {
    if (state.trenches.get(s.trench)?.conduits.get(s.conduit)?.streams.get(s.name) === s) streams.push({ ...s });
    else dropped.push(s);
    if (!state.registry.has(s.key)) left.push(s.key);
  }
  const joined: [string, StreamAt][] = [];
  for (const s of changes.joined) {
    const at = state.registry.get(s.key);
    if (at) joined.push([s.key, at]);
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
    pending: ownerChanges(changes.ops, state.pending, since),
    timers: ownerChanges(changes.timers, state.timers, since),
    watchers: new Map(state.watchers),
    interfaceNames: new Map([...state.interfaceNames].map(([connection, name]): [string, InterfaceName] => [connection, { ...name }])),
  };
}

/** Brings `state`, a copy as it was where `delta` began, to where it ended. The delta's copies become the state's own. */
export function applyDelta(state: TapaState, delta: StateDelta): void {
  const s = state as { -readonly [K in keyof TapaState]: TapaState[K] };
  s.nextId = delta.nextId;
  s.rng = delta.rng;
  s.shutdown = delta.shutdown;
  s.shutdownTimer = delta.shutdownTimer;
  const trenches: TapaState['trenches'] = new Map();
  for (const [name, conduits] of delta.trenches) {
    const before = state.trenches.get(name)?.conduits;
    const trench = { name, conduits: new Map<string, ConduitState>() };
    for (const copy of conduits) trench.conduits.set(copy.name, { ...copy, streams: before?.get(copy.name)?.streams ?? new Map() });
    trenches.set(name, trench);
  }
  s.trenches = trenches;
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
  s.watchers = delta.watchers;
  s.interfaceNames = delta.interfaceNames;
}

function ownerChanges<T>(changed: ReadonlySet<number>, map: ReadonlyMap<number, T>, since: number): OwnerChanges<T> {
  const ids: number[] = [];
  const owners: (T | undefined)[] = [];
  for (const id of changed) {
    const owner = map.get(id);
    if (owner === undefined && id >= since) continue;
    ids.push(id);
    owners.push(owner);
  }
  return { ids, owners };
}

function applyOwners<T>(map: Map<number, T>, { ids, owners }: OwnerChanges<T>): void {
  for (let i = 0; i < ids.length; i++) {
    const owner = owners[i];
    if (owner === undefined) map.delete(ids[i]!);
    else map.set(ids[i]!, owner);
  }
}

/**
 * The conduit's own fields as they are now. Only the NSM op and the watches are changed in
 * place by the core; every other field is given a new value when it changes (the property
 * test in test/runner/state-delta.test.ts holds the core to that), so a shallow copy keeps
 * them. The streams are carried apart.
 */
function copyConduit(c: ConduitState): ConduitState {
  return {
    ...c,
    streams: new Map(),
    watches: { streams: { ...c.watches.streams }, flows: { ...c.watches.flows }, monitor: { ...c.watches.monitor } },
    nsmOp: c.nsmOp && { ...c.nsmOp },
  };
}
