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
  readonly dirtyConduits = new Set<ConduitState>();
  /** Streams whose Watch status may have changed, or that joined or left the registry. */
  readonly watched = new Set<StreamState>();
  /** Streams that joined or left the registry. */
  readonly membership = new Set<StreamState>();

  constructor(readonly state: TapaState) {}

  private nextId(): number {
    return this.state.nextId++;
  }

  /** Emits a call effect and records who waits for its result. */
  call(effect: CallWithoutOp, owner: Pending): number {
    const op = this.nextId();
    this.state.pending.set(op, owner);
    this.effects.push({ ...effect, op } as TapaEffect);
    return op;
  }

  /** Forgets a watch or call and tells the runner it may stop it. */
  cancelCall(op: number | undefined): void {
    if (op === undefined || !this.state.pending.delete(op)) return;
    this.effects.push({ kind: 'cancel', op });
  }

  /** A result arrived: the op is no longer pending. */
  settleCall(op: number): void {
    this.state.pending.delete(op);
  }

  setTimer(owner: TimerOwner, afterMs: number): number {
    const timer = this.nextId();
    this.state.timers.set(timer, owner);
    this.effects.push({ kind: 'setTimer', timer, afterMs });
    return timer;
  }

  cancelTimer(timer: number | undefined): void {
    if (timer === undefined || !this.state.timers.delete(timer)) return;
    this.effects.push({ kind: 'cancelTimer', timer });
  }

  touchStream(stream: StreamState): void {
    this.dirtyStreams.add(stream);
    this.watched.add(stream);
  }

  /** The conduit changed in a way that concerns every one of its streams. */
  touchConduit(conduit: ConduitState): void {
    this.dirtyConduits.add(conduit);
    for (const s of conduit.streams.values()) this.touchStream(s);
  }

  emit(effect: TapaEffect): void {
    this.effects.push(effect);
  }
}
