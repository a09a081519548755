import type { NspStream, NspTarget } from '../../core/wire.js';

/**
 * The NSP's Watch filter (Meridio's TargetFilter, reference §2.5). Written here rather
 * than borrowed from the core's Tap filter: the model is the independent statement of
 * what the NSP does, which the core is checked against.
 */
export function matchesFilter(filter: NspTarget, target: NspTarget): boolean {
  if (filter.status !== 'ANY' && filter.status !== target.status) return false;
  if (filter.type !== target.type) return false;
  return streamMatches(filter.stream, target.stream);
}

/** An empty name, or an absent conduit or trench, is a wildcard for its level. */
function streamMatches(filter: NspStream | undefined, stream: NspStream | undefined): boolean {
  if (!filter) return true;
  if (filter.name !== '' && filter.name !== stream?.name) return false;
  const conduit = filter.conduit;
  if (!conduit) return true;
  if (conduit.name !== '' && conduit.name !== stream?.conduit?.name) return false;
  const trench = conduit.trench;
  if (!trench) return true;
  return trench.name === '' || trench.name === stream?.conduit?.trench?.name;
}
