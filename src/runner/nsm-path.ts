import type { Connection, Path, PathSegment } from '../wire/networkservice/connection.js';
import type { PathToken } from './transport.js';

/**
 * The path of an NSM request, as NSM's client chain keeps it: every hop has a segment
 * with its name, its id for the connection and a token that proves it. A client first
 * finds or adds its own segment (NSM's updatepath rules), then signs it (updatetoken).
 * The core leaves all of this to the runner, because tokens need keys and a clock.
 */

function segment(name: string, id: string): PathSegment {
  return { name, id, token: '', metrics: {} };
}

/**
 * Our segment placed as NSM's updatepath client places it, and the index to restore on
 * the answer. Throws when the path contradicts the connection, as NSM does. `newId`
 * names a new segment (random in production, counted in the simulator).
 */
export function withOwnSegment(connection: Connection, name: string, newId: () => string): { connection: Connection; index: number } {
  const path: Path = copied(connection.path ?? { index: 0, pathSegments: [] });
  const segments = path.pathSegments;
  let id = connection.id;
  if (segments.length === 0) {
    id ||= newId();
    return { connection: { ...connection, id, path: { index: 0, pathSegments: [segment(name, id)] } }, index: 0 };
  }
  const current = segments[path.index];
  if (current?.name === name) return { connection: { ...connection, id: current.id, path }, index: path.index };
  // Someone else's segment is current: ours is the next one.
  if (path.index + 1 > segments.length) throw new Error(`NSM path index ${path.index} lies beyond its ${segments.length} segments`);
  if (current && current.id !== id) throw new Error(`NSM path segment ${path.index} is for ${current.id}, the connection is ${id}`);
  const next = segments[path.index + 1];
  if (next && next.name !== name) segments[path.index + 1] = segment(name, newId());
  path.index++;
  const own = segments[path.index];
  if (own) id = own.id;
  else {
    id = newId();
    segments.push(segment(name, id));
  }
  return { connection: { ...connection, id, path }, index: path.index - 1 };
}

/** Signs the current segment of the path. */
export function signed(connection: Connection, token: PathToken): Connection {
  const path = copied(connection.path!);
  const own = path.pathSegments[path.index]!;
  path.pathSegments[path.index] = { ...own, token: token.token, expires: token.expires.toISOString() };
  return { ...connection, path };
}

/** The answer as our caller must see it: index and id back at our segment. */
export function restored(answer: Connection, index: number): Connection {
  const own = answer.path?.pathSegments[index];
  if (!answer.path || !own) return answer;
  return { ...answer, id: own.id, path: { ...answer.path, index } };
}

/** How long until the first token on the path expires, or undefined when none carries an expiry. */
export function expiresInMs(connection: Connection, nowMs: number): number | undefined {
  let soonest: number | undefined;
  for (const s of connection.path?.pathSegments ?? []) {
    const at = s.expires === undefined ? NaN : Date.parse(s.expires);
    if (!Number.isNaN(at)) soonest = Math.min(soonest ?? Infinity, at - nowMs);
  }
  return soonest === undefined ? undefined : Math.max(0, soonest);
}

/** A path to change without changing the caller's: the segments are replaced, never edited, below this. */
function copied(path: Path): Path {
  return { ...path, pathSegments: path.pathSegments.map((s) => ({ ...s, metrics: { ...s.metrics } })) };
}
