import { sameSet } from './prefix.js';
import { nextInt, type RngState } from './rng.js';
import type { NspTarget } from './wire.js';

/**
 * A target's identifier is its slot in the load balancers of a stream: a number in
 * [1, maxTargets], stored under this key of the target's context.
 */
export const IDENTIFIER_KEY = 'identifier';

/** Largest range enumerated to draw from; above it, draws are rejection-sampled. */
const ENUMERATION_LIMIT = 4096;
const REJECTION_TRIES = 64;

export function parseIdentifier(target: NspTarget): number | undefined {
  const text = target.context[IDENTIFIER_KEY];
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

/**
 * Identifiers held by targets of the stream other than ours (ours: the same IP set).
 * Unlike Go, a target without a valid identifier holds none: counting it would make a
 * stream look full that is not.
 */
export function identifiersInUse(targets: readonly NspTarget[], ownIps: readonly string[], maxTargets: number): Set<number> {
  const used = new Set<number>();
  for (const t of targets) {
    if (sameSet(t.ips, ownIps)) continue;
    const id = parseIdentifier(t);
    if (id !== undefined && id <= maxTargets) used.add(id);
  }
  return used;
}

/**
 * An identifier in [1, maxTargets] not in `used`: `preferred` if it is free (a target
 * keeps its slot across re-opens), otherwise a uniform draw among the free ones;
 * undefined when the stream is full. Every path is bounded, whatever maxTargets the
 * NSP sends (it is a uint32).
 */
export function pickIdentifier(rng: RngState, maxTargets: number, used: ReadonlySet<number>, preferred: number): number | undefined {
  if (preferred >= 1 && preferred <= maxTargets && !used.has(preferred)) return preferred;
  if (used.size >= maxTargets) return undefined;
  if (maxTargets <= ENUMERATION_LIMIT) {
    // The k-th free slot, found by counting rather than by listing the free ones: no array per draw.
    let free = 0;
    for (let i = 1; i <= maxTargets; i++) if (!used.has(i)) free++;
    let k = nextInt(rng, free);
    for (let i = 1; i <= maxTargets; i++) if (!used.has(i) && k-- === 0) return i;
  }
  for (let i = 0; i < REJECTION_TRIES; i++) {
    const candidate = 1 + nextInt(rng, maxTargets);
    if (!used.has(candidate)) return candidate;
  }
  // Only reachable when nearly every slot of a huge range is used: scan from a random
  // start; at most used.size + 1 steps find a free slot.
  const start = nextInt(rng, maxTargets);
  for (let i = 0; i <= used.size; i++) {
    const candidate = 1 + ((start + i) % maxTargets);
    if (!used.has(candidate)) return candidate;
  }
  return undefined;
}
