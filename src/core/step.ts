import type { Changes } from './changes.js';
import { limits } from './config.js';
import { onConduitTimer, onNsmResult, onWatchResult, reconcileConduit } from './conduit.js';
import type { TapaEffect } from './effects.js';
import type { TapaEvent } from './events.js';
import { assertNever } from './exhaustive.js';
import { onInterfaceNameTimer } from './interfacename.js';
import type { TapaState } from './state.js';
import { beginShutdown, finishShutdown, giveUp } from './shutdown.js';
import { close, open } from './tap.js';
import { onStreamTimer, onTargetResult, reconcileTarget, waiting } from './target.js';
import { conduitOf, dropConduit } from './trench.js';
import { Turn } from './turn.js';
import { publish, subscribe } from './watch.js';

/**
 * The TAPA: handles one event completely, updating `state` in place, and returns what
 * the world must do next.
 *
 * No I/O, no clock, no randomness but the seeded one in the state: the new state and the
 * effects depend only on the old state and the event. The state is changed where it is,
 * not copied: the caller owns it (clone it first to keep the old one). `changes`, if
 * given, is told what the step changed (see Changes), and changes nothing else.
 */
export function step(state: TapaState, event: TapaEvent, changes?: Changes): TapaEffect[] {
  const turn = new Turn(state, changes);
  dispatch(turn, event);
  settle(turn);
  publish(turn);
  finishShutdown(turn);
  return turn.effects;
}

function dispatch(turn: Turn, event: TapaEvent): void {
  const { state } = turn;
  switch (event.kind) {
    case 'tapOpen':
      return open(turn, event.request, event.stream);
    case 'tapClose':
      return close(turn, event.request, event.stream);
    case 'tapWatch':
      return subscribe(turn, event.watcher, event.filter);
    case 'tapUnwatch':
      state.watchers.delete(event.watcher);
      return;
    case 'shutdown':
      return beginShutdown(turn);
    case 'timer':
      return onTimer(turn, event.timer);
    case 'nspStreams':
    case 'nspFlows':
    case 'nspTargets':
    case 'nsmConnection':
    case 'nsmEvent':
    case 'done':
    case 'failed':
      return onResult(turn, event);
    default:
      return assertNever(event);
  }
}

function onResult(turn: Turn, event: Extract<TapaEvent, { op: number }>): void {
  const owner = turn.state.pending.get(event.op);
  // Not waiting for it (any more): a late, duplicated or cancelled result.
  if (!owner) return;
  // A watch stays open after a message; a call is over with its result.
  if (owner.kind !== 'watch') turn.settleCall(event.op);
  const conduit = conduitOf(turn.state, owner.trench, owner.conduit);
  if (!conduit) return;
  switch (owner.kind) {
    case 'target': {
      const stream = conduit.streams.get(owner.stream);
      if (stream) onTargetResult(turn, stream, conduit, event);
      return;
    }
    case 'nsm':
      return onNsmResult(turn, conduit, event);
    case 'watch':
      return onWatchResult(turn, conduit, owner.watch, event);
    default:
      return assertNever(owner);
  }
}

function onTimer(turn: Turn, timer: number): void {
  const owner = turn.state.timers.get(timer);
  if (!owner) return; // cancelled, or fired twice
  turn.firedTimer(timer);
  if (owner.kind === 'shutdown') return giveUp(turn);
  if (owner.kind === 'interfaceName') return onInterfaceNameTimer(turn, owner.connection, timer);
  const conduit = conduitOf(turn.state, owner.trench, owner.conduit);
  if (!conduit) return;
  switch (owner.kind) {
    case 'stream': {
      const stream = conduit.streams.get(owner.stream);
      if (stream) onStreamTimer(turn, stream, conduit, timer);
      return;
    }
    case 'nsm':
    case 'recovery':
    case 'refresh':
      return onConduitTimer(turn, conduit, owner.kind);
    case 'watch':
      return onConduitTimer(turn, conduit, owner.watch);
    default:
      return assertNever(owner);
  }
}

/** Lets every touched stream and conduit take its next step until nothing changes. */
function settle(turn: Turn): void {
  const { state } = turn;
  for (let round = 0; turn.dirtyStreams.size > 0 || turn.hasDirtyConduits; round++) {
    if (round >= limits.maxSettleRounds) throw new Error(`reconciling did not settle within ${limits.maxSettleRounds} rounds`);
    for (const stream of turn.dirtyStreams.take()) {
      // Most steps leave the stream they touched waiting for a call: it need not be looked up.
      if (waiting(stream)) continue;
      const conduit = conduitOf(state, stream.trench, stream.conduit);
      if (conduit?.streams.get(stream.name) === stream) reconcileTarget(turn, stream, conduit);
    }
    for (const conduit of turn.takeConduits()) {
      if (conduitOf(state, conduit.trench, conduit.name) !== conduit) continue;
      if (!reconcileConduit(turn, conduit)) dropConduit(turn, conduit);
    }
  }
}
