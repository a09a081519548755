import type { Changes, TapaState } from '../core/index.js';
import type { ConduitState, InterfaceName, Pending, StreamAt, StreamState, TimerOwner } from '../core/state.js';

/** A stream as a delta carries it: where it is filed, and a copy, or undefined when it no longer is. */
interface StreamChange {
  readonly trench: string;
  readonly conduit: string;
  readonly name: string;
  readonly copy: StreamState | undefined;
}

/**
 * What the steps of a stretch of time did to the core's state, copied as it was at the
 * end of it: applied to a copy of the state as it was at the start, it brings that copy
 * to the end. Its size is that of what changed (the streams, calls and timers the steps
 * touched), plus the conduits, watchers and interface names, which are few, whole.
 *
 * Maps keep their order: the core iterates in insertion order, so the order is part of
 * the state. A key set again keeps its place; one deleted and set again goes to the end.
 * A stream is filed as a new object, touched as it is filed, and one is dropped only
 * after it was touched: in the order of their first touch, the streams' changes delete
 * before they file again, and file in the order the core did. A stream joins the
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
  /** Streams touched, in the order of their first touch. */
  readonly streams: readonly StreamChange[];
  /** Registry keys no longer registered. */
  readonly left: readonly string[];
  /** Registry entries that joined, in the order of their last join. */
  readonly joined: readonly (readonly [string, StreamAt])[];
  /** Calls and timers begun or over: the owner now, or undefined when it is over. */
  readonly pending: readonly (readonly [number, Pending | undefined])[];
  readonly timers: readonly (readonly [number, TimerOwner | undefined])[];
  readonly watchers: TapaState['watchers'];
  readonly interfaceNames: TapaState['interfaceNames'];
}

/** The delta since `changes` was last emptied, which it empties. */
export function takeDelta(state: TapaState, changes: Changes): StateDelta {
  const trenches = [...state.trenches.values()].map((trench) => [trench.name, [...trench.conduits.values()].map(copyConduit)] as const);
  const streams: StreamChange[] = [];
  const left: string[] = [];
  for (const s of changes.streams) {
    const filed = state.trenches.get(s.trench)?.conduits.get(s.conduit)?.streams.get(s.name) === s;
    streams.push({ trench: s.trench, conduit: s.conduit, name: s.name, copy: filed ? { ...s } : undefined });
    if (!state.registry.has(s.key)) left.push(s.key);
  }
  const joined: [string, StreamAt][] = [];
  for (const s of changes.joined) {
    const at = state.registry.get(s.key);
    if (at) joined.push([s.key, at]);
  }
  const delta: StateDelta = {
    nextId: state.nextId,
    rng: [...state.rng],
    shutdown: state.shutdown,
    shutdownTimer: state.shutdownTimer,
    trenches,
    streams,
    left,
    joined,
    pending: [...changes.ops].map((op) => [op, state.pending.get(op)] as const),
    timers: [...changes.timers].map((timer) => [timer, state.timers.get(timer)] as const),
    watchers: new Map(state.watchers),
    interfaceNames: new Map([...state.interfaceNames].map(([connection, name]): [string, InterfaceName] => [connection, { ...name }])),
  };
  for (const set of Object.values(changes)) set.clear();
  return delta;
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
  for (const c of delta.streams) {
    const streams = trenches.get(c.trench)?.conduits.get(c.conduit)?.streams;
    if (c.copy) streams?.set(c.name, c.copy);
    else streams?.delete(c.name);
  }
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

function applyOwners<T>(map: Map<number, T>, changes: readonly (readonly [number, T | undefined])[]): void {
  for (const [id, owner] of changes) {
    if (owner === undefined) map.delete(id);
    else map.set(id, owner);
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
