import { parseIdentifier } from './identifier.js';
import { localIps } from './localips.js';
import { sameSet } from './prefix.js';
import type { TapaState } from './state.js';
import { maxTargetsOf } from './stream.js';
import type { Connection, NspStream, NspTarget } from './wire.js';

/** What the world holds for one TAPA, as the simulator (or a test) sees it. */
export interface WorldView {
  /** NSP targets, in any trench, whose IPs NSM gave to this TAPA. */
  readonly targets: readonly NspTarget[];
  /** NSM connections of this TAPA. */
  readonly connections: readonly Connection[];
  /** The NSP's stream configuration of a conduit. */
  streams(trench: string, conduit: string): readonly NspStream[];
  /** ENABLED targets of a stream that belong to other TAPAs. */
  enabledByOthers(trench: string, conduit: string, stream: string): number;
}

/**
 * Why the TAPA is not where it should be, given the world (empty: converged). Where it
 * should be: every open stream of a connected conduit that the NSP defines is OPEN with
 * exactly one ENABLED target under the conduit's current local IPs, unless other TAPAs
 * already fill all maxTargets slots of the stream; nothing else of this TAPA is
 * registered; NSM holds a connection exactly for the conduits in use.
 */
export function divergences(state: TapaState, view: WorldView): string[] {
  const out: string[] = [];
  const expectedTargets = new Set<NspTarget>();
  const expectedConnections = new Set<string>();
  for (const trench of state.trenches.values()) {
    for (const conduit of trench.conduits.values()) {
      if (conduit.wanted === 0) continue;
      const where = `${trench.name}/${conduit.name}`;
      expectedConnections.add(conduit.identity.id);
      const nsm = view.connections.find((c) => c.id === conduit.identity.id);
      if (!nsm) out.push(`${where}: NSM holds no connection`);
      if (!conduit.connection) out.push(`${where}: not connected`);
      if (nsm && conduit.connection) {
        const actual = localIps(nsm, [...(conduit.vips ?? []), ...conduit.appliedVips]);
        if (!sameSet(actual, conduit.localIps))
          out.push(`${where}: local IPs ${conduit.localIps.join(',')} but NSM has ${actual.join(',')}`);
      }
      if (conduit.vips && !sameSet(conduit.vips, conduit.appliedVips)) out.push(`${where}: VIPs ${conduit.vips.join(',')} not applied`);
      const config = new Map(view.streams(trench.name, conduit.name).map((s) => [s.name, s]));
      for (const stream of conduit.streams.values()) {
        if (!stream.wanted) continue;
        const at = `${where}/${stream.name}`;
        const targets = view.targets.filter(
          (t) => t.stream?.name === stream.name && t.stream.conduit?.name === conduit.name && t.stream.conduit.trench?.name === trench.name,
        );
        const nsp = config.get(stream.name);
        const full = nsp !== undefined && view.enabledByOthers(trench.name, conduit.name, stream.name) >= maxTargetsOf(nsp);
        const reachable = conduit.connection !== undefined && conduit.localIps.length > 0 && nsp !== undefined && !full;
        if (!reachable) {
          if (targets.length > 0) out.push(`${at}: ${targets.length} targets registered for a stream that cannot be open`);
          if (stream.status === 'OPEN') out.push(`${at}: reported OPEN but cannot be`);
          continue;
        }
        if (stream.status !== 'OPEN') out.push(`${at}: ${stream.status}, not OPEN`);
        if (targets.length !== 1) {
          out.push(`${at}: ${targets.length} targets registered, expected 1`);
          continue;
        }
        const [target] = targets as [NspTarget];
        expectedTargets.add(target);
        const id = parseIdentifier(target);
        if (target.status !== 'ENABLED') out.push(`${at}: target is ${target.status}`);
        if (!sameSet(target.ips, conduit.localIps))
          out.push(`${at}: target IPs ${target.ips.join(',')} are not the local IPs ${conduit.localIps.join(',')}`);
        if (id === undefined || id > maxTargetsOf(nsp))
          out.push(`${at}: identifier ${target.context['identifier'] ?? '(none)'} out of range`);
      }
    }
  }
  for (const t of view.targets) {
    if (!expectedTargets.has(t))
      out.push(`stale target ${t.ips.join(',')} in stream ${t.stream?.conduit?.trench?.name}/${t.stream?.conduit?.name}/${t.stream?.name}`);
  }
  for (const c of view.connections) if (!expectedConnections.has(c.id)) out.push(`NSM connection ${c.id} has no open stream`);
  return out;
}

export function converged(state: TapaState, view: WorldView): boolean {
  return divergences(state, view).length === 0;
}

/**
 * Does the TAPA know it may hold this NSP target: registered under these IPs, or with a
 * call about its stream in flight? A target of this TAPA that it does not know of is stale.
 */
export function mayHold(state: TapaState, target: NspTarget): boolean {
  const s = target.stream;
  const stream = state.trenches
    .get(s?.conduit?.trench?.name ?? '')
    ?.conduits.get(s?.conduit?.name ?? '')
    ?.streams.get(s?.name ?? '');
  if (!stream) return false;
  return stream.op !== undefined || (stream.registered !== undefined && sameSet(stream.registered.ips, target.ips));
}
