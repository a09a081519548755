import type { ConduitAt, ConduitState, StreamAt, StreamState, TapaState, TrenchState } from './state.js';
import type { Turn } from './turn.js';

export function trenchOf(state: TapaState, name: string): TrenchState {
  let trench = state.trenches.get(name);
  if (!trench) {
    trench = { name, conduits: new Map() };
    state.trenches.set(name, trench);
  }
  return trench;
}

/**
 * A pod is a target of one trench at a time (Meridio's rule). A trench whose streams
 * are all closed may still be tearing down; that does not block another trench.
 */
export function otherTrenchInUse(state: TapaState, name: string): boolean {
  for (const trench of state.trenches.values()) {
    if (trench.name === name) continue;
    for (const conduit of trench.conduits.values()) if (conduit.wanted > 0) return true;
  }
  return false;
}

/** Drops a conduit that is done; the last one of its trench releases the trench's NSP connection. */
export function dropConduit(turn: Turn, conduit: ConduitState): void {
  const trench = turn.state.trenches.get(conduit.trench);
  if (!trench) return;
  trench.conduits.delete(conduit.name);
  if (trench.conduits.size > 0) return;
  turn.state.trenches.delete(trench.name);
  turn.emit({ kind: 'releaseTrench', trench: trench.name });
}

export function conduitOf(state: TapaState, trench: string, conduit: string): ConduitState | undefined {
  return state.trenches.get(trench)?.conduits.get(conduit);
}

export function conduitAt(conduit: ConduitState): ConduitAt {
  return { trench: conduit.trench, conduit: conduit.name };
}

export function streamAt(stream: StreamState): StreamAt {
  return { trench: stream.trench, conduit: stream.conduit, stream: stream.name };
}

/** The stream filed there, if any. */
export function streamOf(state: TapaState, at: StreamAt): StreamState | undefined {
  return conduitOf(state, at.trench, at.conduit)?.streams.get(at.stream);
}
