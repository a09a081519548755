import type { StreamState, TapaState } from './state.js';
import { statusOf } from './stream.js';
import { conduitOf, streamOf } from './trench.js';
import type { Turn } from './turn.js';
import type { StreamStatus, TapStream } from './wire.js';

/**
 * Meridio's Watch filter (reference §1.2): no filter matches everything; an empty name,
 * or an absent conduit or trench, is a wildcard for its level.
 */
export function matches(filter: TapStream | undefined, stream: TapStream): boolean {
  if (!filter) return true;
  if (filter.name !== '' && filter.name !== stream.name) return false;
  const fc = filter.conduit;
  if (!fc) return true;
  if (fc.name !== '' && fc.name !== stream.conduit?.name) return false;
  const ft = fc.trench;
  if (!ft) return true;
  return ft.name === '' || ft.name === stream.conduit?.trench?.name;
}

export function snapshot(state: TapaState, filter: TapStream | undefined): StreamStatus[] {
  const out: StreamStatus[] = [];
  for (const at of state.registry.values()) {
    const s = streamOf(state, at);
    if (s && matches(filter, s.tap)) out.push({ status: s.status, stream: s.tap });
  }
  return out;
}

export function subscribe(turn: Turn, watcher: number, filter: TapStream | undefined): void {
  turn.state.watchers.set(watcher, filter);
  turn.emit({ kind: 'publish', watcher, statuses: snapshot(turn.state, filter) });
}

/**
 * Brings the published statuses up to date and sends a snapshot to every subscriber that
 * can see a stream that changed. Go also re-sends unchanged statuses on every attempt;
 * a snapshot here always carries news.
 */
export function publish(turn: Turn): void {
  const { state } = turn;
  let changed: StreamState[] | undefined;
  for (const s of turn.watched.items) {
    let news = turn.joinedOrLeftRegistry(s);
    // Wanted is in the registry (an invariant), and a test that needs no lookup among every stream.
    const conduit = s.wanted ? conduitOf(state, s.trench, s.conduit) : undefined;
    if (conduit?.streams.get(s.name) === s) {
      const status = statusOf(s, conduit);
      news ||= status !== s.status;
      s.status = status;
    }
    if (news) (changed ??= []).push(s);
  }
  if (changed === undefined) return;
  for (const [watcher, filter] of state.watchers) {
    if (changed.some((s) => matches(filter, s.tap))) turn.emit({ kind: 'publish', watcher, statuses: snapshot(state, filter) });
  }
}
