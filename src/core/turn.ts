import type { Changes } from './changes.js';
import type { TapaEffect } from './effects.js';
import type { ConduitState, Pending, StreamState, TapaState, TimerOwner } from './state.js';

export type CallWithoutOp = TapaEffect extends infer E ? (E extends { op: number } ? Omit<E, 'op'> : never) : never;

/**
 * One call of `step`: the state it changes, the effects it collects, and what it has
 * touched, so that reconciling afterwards costs only what the event affected.
 */
export class Turn {
  readonly effects: TapaEffect[] = [];
  readonly dirtyStreams = new Set<StreamState>();
  /** Streams whose Watch status may have changed, or that joined or left the registry. */
  readonly watched = new Set<StreamState>();
  // Most events touch one stream and no conduit, and a Set costs an allocation whether it
  // is used or not: these two are made when first needed.
  private conduits: Set<ConduitState> | undefined;
  private joinedOrLeft: Set<StreamState> | undefined;

  /** `changes`: told what this step changes, for whoever keeps a copy of the state (see Changes). */
  constructor(
    readonly state: TapaState,
    private readonly changes?: Changes,
  ) {}

  private nextId(): number {
    return this.state.nextId++;
  }

  /**
   * Emits a call effect and records who waits for its result. The effect gets its op in
   * place, so pass a fresh object: copying each call effect to add it was a fifth of the
   * core's time.
   */
  call(effect: CallWithoutOp, owner: Pending): number {
    const op = this.nextId();
    this.state.pending.set(op, owner);
    this.changes?.pending.push(op);
    const call = effect as CallWithoutOp & { op: number };
    call.op = op;
    this.effects.push(call as TapaEffect);
    return op;
  }

  /** Forgets a watch or call and tells the runner it may stop it. */
  cancelCall(op: number | undefined): void {
    if (op === undefined || !this.state.pending.delete(op)) return;
    this.changes?.pending.push(op);
    this.effects.push({ kind: 'cancel', op });
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
    this.effects.push({ kind: 'setTimer', timer, afterMs });
    return timer;
  }

  cancelTimer(timer: number | undefined): void {
    if (timer === undefined || !this.state.timers.delete(timer)) return;
    this.changes?.timers.push(timer);
    this.effects.push({ kind: 'cancelTimer', timer });
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
    (this.conduits ??= new Set()).add(conduit);
  }

  /** The conduit changed in a way that concerns every one of its streams. */
  touchConduit(conduit: ConduitState): void {
    this.markConduit(conduit);
    for (const s of conduit.streams.values()) this.touchStream(s);
  }

  /** The stream joined or left the Watch registry (touch it too). */
  markMembership(stream: StreamState): void {
    (this.joinedOrLeft ??= new Set()).add(stream);
    // Joining again puts the stream at the end of the registry: its place in `joined` follows.
    this.changes?.joined.delete(stream);
    this.changes?.joined.add(stream);
  }

  joinedOrLeftRegistry(stream: StreamState): boolean {
    return this.joinedOrLeft?.has(stream) ?? false;
  }

  /** The conduits marked since the last call, which forgets them. */
  takeConduits(): ConduitState[] {
    if (this.conduits === undefined) return [];
    const out = [...this.conduits];
    this.conduits.clear();
    return out;
  }

  get hasDirtyConduits(): boolean {
    return this.conduits !== undefined && this.conduits.size > 0;
  }

  emit(effect: TapaEffect): void {
    this.effects.push(effect);
  }
}
