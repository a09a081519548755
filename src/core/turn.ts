import type { Changes } from './changes.js';
import type { CallEffect, TapaEffect } from './effects.js';
import type { ConduitState, Pending, StreamState, TapaState, TimerOwner } from './state.js';
import { Touched } from './touched.js';

/**
 * One call of `step`: the state it changes, the effects it collects, and what it has
 * touched, so that reconciling afterwards costs only what the event affected.
 */
export class Turn {
  // Made with its first effect: an empty array's first push makes room for 17, and most steps emit one effect.
  private emitted: TapaEffect[] | undefined;
  /** Streams to reconcile (again). */
  readonly dirtyStreams = new Touched<StreamState>();
  /** Streams whose Watch status may have changed, or that joined or left the registry. */
  readonly watched = new Touched<StreamState>();
  // Few steps touch a conduit or the registry: these two are made when first needed.
  private conduits: Touched<ConduitState> | undefined;
  private joinedOrLeft: Touched<StreamState> | undefined;

  /** `changes`: told what this step changes, for whoever keeps a copy of the state (see Changes). */
  constructor(
    readonly state: TapaState,
    private readonly changes?: Changes,
  ) {}

  private nextId(): number {
    return this.state.nextId++;
  }

  /** The op of a call effect about to be made: give it to `call` with the effect. */
  newOp(): number {
    return this.nextId();
  }

  /**
   * Emits a call effect and records who waits for its result. The effect's op comes
   * from `newOp`, written in the effect's literal: adding it afterwards, or copying the
   * effect to add it, cost a share of the core's time.
   */
  call(effect: CallEffect, owner: Pending): number {
    this.state.pending.set(effect.op, owner);
    this.changes?.pending.push(effect.op);
    this.emit(effect);
    return effect.op;
  }

  /** Forgets a watch or call and tells the runner it may stop it. */
  cancelCall(op: number | undefined): void {
    if (op === undefined || !this.state.pending.delete(op)) return;
    this.changes?.pending.push(op);
    this.emit({ kind: 'cancel', op });
  }

  /** A result arrived: the op is no longer pending. */
  settleCall(op: number): void {
    this.state.pending.delete(op);
    this.changes?.pending.push(op);
  }

  setTimer(owner: TimerOwner, afterMs: number): number {
    const timer = this.nextId();
    this.state.timers.set(timer, owner);
    this.changes?.timers.push(timer);
    this.emit({ kind: 'setTimer', timer, afterMs });
    return timer;
  }

  cancelTimer(timer: number | undefined): void {
    if (timer === undefined || !this.state.timers.delete(timer)) return;
    this.changes?.timers.push(timer);
    this.emit({ kind: 'cancelTimer', timer });
  }

  /** The timer fired: it is no longer set. */
  firedTimer(timer: number): void {
    this.state.timers.delete(timer);
    this.changes?.timers.push(timer);
  }

  touchStream(stream: StreamState): void {
    this.dirtyStreams.add(stream);
    this.watched.add(stream);
    this.changes?.streams.add(stream);
  }

  /** The stream was dropped from its conduit. */
  droppedStream(stream: StreamState): void {
    this.changes?.dropped.add(stream);
  }

  /** The conduit has a next step to take. */
  markConduit(conduit: ConduitState): void {
    (this.conduits ??= new Touched()).add(conduit);
  }

  /** The conduit changed in a way that concerns every one of its streams. */
  touchConduit(conduit: ConduitState): void {
    this.markConduit(conduit);
    for (const s of conduit.streams.values()) this.touchStream(s);
  }

  /** The stream joined or left the Watch registry (touch it too). */
  markMembership(stream: StreamState): void {
    (this.joinedOrLeft ??= new Touched()).add(stream);
    // Joining again puts the stream at the end of the registry: its place in `joined` follows.
    this.changes?.joined.delete(stream);
    this.changes?.joined.add(stream);
  }

  joinedOrLeftRegistry(stream: StreamState): boolean {
    return this.joinedOrLeft?.has(stream) ?? false;
  }

  /** The conduits marked since the last call, which forgets them. */
  takeConduits(): readonly ConduitState[] {
    return this.conduits?.take() ?? NO_CONDUITS;
  }

  get hasDirtyConduits(): boolean {
    return this.conduits !== undefined && this.conduits.size > 0;
  }

  emit(effect: TapaEffect): void {
    if (this.emitted === undefined) this.emitted = [effect];
    else this.emitted.push(effect);
  }

  /** The effects emitted, in order. */
  get effects(): TapaEffect[] {
    return this.emitted ?? [];
  }
}

const NO_CONDUITS: readonly ConduitState[] = [];
