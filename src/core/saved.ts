import { IdMap } from './idmap.js';
import type { TapaState } from './state.js';

/**
 * The state as text and back, for a flight recording's snapshot. The state is plain
 * data (owners of calls and timers name what they belong to), so JSON carries all of
 * it but its maps, which become `{"$map": [[key, value], ...]}` in insertion order:
 * the order the core iterates in, and so part of what it does next.
 */
const MAP = '$map';

export function saveState(state: TapaState): string {
  return JSON.stringify(state, (_key, value: unknown) => (value instanceof Map ? { [MAP]: [...value] } : value));
}

/**
 * Throws a SyntaxError when the text is not JSON, a RangeError when a call or timer is
 * filed under anything but a non-negative integer; the rest of the shape is the caller's to trust or check.
 */
export function loadState(text: string): TapaState {
  return JSON.parse(text, (key, value: unknown) => {
    if (!isSavedMap(value)) return value;
    // The state's only maps by these names are its calls and timers by id.
    if (key === 'pending' || key === 'timers') return new IdMap(value[MAP] as [number, object][]);
    // JSON has no undefined: a map entry without a value (a Watch without a filter) comes back as null.
    return new Map(value[MAP].map(([k, entry]) => [k, entry ?? undefined]));
  }) as TapaState;
}

function isSavedMap(value: unknown): value is { [MAP]: [unknown, unknown][] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as Record<string, unknown>)[MAP]);
}
