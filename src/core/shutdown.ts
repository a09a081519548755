import { abandonConduit, hurryConduit } from './conduit.js';
import { limits } from './config.js';
import { forgetInterfaceNames } from './interfacename.js';
import type { Turn } from './turn.js';
import { unwant } from './tap.js';
import { abandonTarget, dropRead } from './target.js';
import { dropConduit, streamOf } from './trench.js';

/**
 * Shutdown (SIGTERM): every target is unregistered and every NSM connection closed, at
 * the same time and each bounded, so that an NSP that is down, hangs or fails cannot
 * keep the NSM connections open, nor the other way round. What is not done when the
 * shutdown's share of MERIDIO_TIMEOUT has passed is given up on.
 */
export function beginShutdown(turn: Turn): void {
  const { state } = turn;
  if (state.shutdown !== 'running') return;
  state.shutdown = 'draining';
  for (const at of [...state.registry.values()]) {
    const stream = streamOf(state, at);
    if (stream) unwant(turn, stream);
  }
  if (state.trenches.size === 0) return;
  state.shutdownTimer = turn.setTimer({ kind: 'shutdown' }, Math.floor(state.config.timeoutMs * limits.shutdownShareOfTimeout));
  for (const trench of state.trenches.values()) {
    for (const conduit of trench.conduits.values()) {
      for (const stream of conduit.streams.values()) dropRead(turn, stream);
      hurryConduit(turn, conduit);
    }
  }
}

/** Called after every step: once nothing is left, the shutdown is complete. */
export function finishShutdown(turn: Turn): void {
  const { state } = turn;
  if (state.shutdown !== 'draining' || state.trenches.size > 0) return;
  turn.cancelTimer(state.shutdownTimer);
  state.shutdownTimer = undefined;
  forgetInterfaceNames(turn);
  state.shutdown = 'done';
  turn.emit({ kind: 'shutdownComplete' });
}

/** The shutdown's time is up: every call still in flight is dropped, and said so. */
export function giveUp(turn: Turn): void {
  const { state } = turn;
  state.shutdownTimer = undefined;
  let targets = 0;
  let connections = 0;
  for (const trench of [...state.trenches.values()]) {
    for (const conduit of [...trench.conduits.values()]) {
      for (const stream of conduit.streams.values()) {
        if (stream.registered) targets++;
        abandonTarget(turn, stream);
      }
      if (conduit.held) connections++;
      abandonConduit(turn, conduit);
      dropConduit(turn, conduit);
    }
  }
  forgetInterfaceNames(turn);
  state.shutdown = 'done';
  turn.emit({ kind: 'shutdownComplete', abandoned: { targets, connections } });
}
