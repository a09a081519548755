import type { StreamState } from './state.js';

/**
 * What steps changed in the parts of the state that grow with the number of streams, for a
 * caller that keeps a copy of the state and brings it forward at the cost of what changed
 * rather than of the whole (the sidecar's flight recorder). It spans any number of steps;
 * the core only adds to it, and does not read it, so it changes nothing the core does.
 * Conduits, trenches, watchers and interface names are few: such a caller copies them whole.
 */
export interface Changes {
  /** Streams touched, in the order of their first touch: any field may have changed, they may have been filed or dropped. */
  readonly streams: Set<StreamState>;
  /** Streams dropped from their conduit. */
  readonly dropped: Set<StreamState>;
  /** Streams that joined or left the Watch registry, in the order of their last join or leave. */
  readonly joined: Set<StreamState>;
  /**
   * Ids of calls and watches begun or over, in that order (an id begun and over comes twice).
   * Ids only grow and an owner never changes, so the state tells the rest: whether the id is
   * still pending, and for whom. Plain numbers: a map of owners was most of what marking cost.
   */
  readonly pending: number[];
  /** Ids of timers set, cancelled or fired, the same way. */
  readonly timers: number[];
}

export function noChanges(): Changes {
  return { streams: new Set(), dropped: new Set(), joined: new Set(), pending: [], timers: [] };
}
