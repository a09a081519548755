import type { Pending, StreamState, TimerOwner } from './state.js';

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
  /** Calls and watches begun (with their owner) or over (undefined), by op id, in the order they began. */
  readonly pending: Map<number, Pending | undefined>;
  /** Timers set (with their owner), cancelled or fired (undefined), in the order they were set. */
  readonly timers: Map<number, TimerOwner | undefined>;
}

export function noChanges(): Changes {
  return { streams: new Set(), dropped: new Set(), joined: new Set(), pending: new Map(), timers: new Map() };
}
