import type { TapaState } from '../core/index.js';

/**
 * The core's state as plain JSON, for the log line of a broken invariant: maps become
 * objects, sets arrays, and the owners of calls and timers one name each, so that the
 * line says briefly what each op and timer is for.
 */
export function snapshot(state: TapaState): unknown {
  return JSON.parse(
    JSON.stringify(state, function (this: unknown, key, value: unknown) {
      if ((key === 'pending' || key === 'timers') && value instanceof Map) {
        return Object.fromEntries([...value].map(([id, owner]) => [id, ownerName(owner as Owner)]));
      }
      // An entry without a value (a Watch with no filter) would vanish from JSON.
      if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, v ?? null]));
      if (value instanceof Set) return [...value];
      return value;
    }),
  );
}

interface Owner {
  readonly kind: string;
  readonly trench?: string;
  readonly conduit?: string;
  readonly stream?: string;
  readonly watch?: string;
  readonly connection?: string;
}

function ownerName(owner: Owner): string {
  const of = 'connection' in owner ? owner.connection : [owner.trench, owner.conduit, owner.stream].filter(Boolean).join('/');
  return [owner.kind, owner.watch, of].filter(Boolean).join(' ');
}
