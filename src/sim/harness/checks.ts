import { connectionIdentity, parseIdentifier, type WorldView } from '../../core/index.js';
import type { NspTarget } from '../../core/wire.js';
import type { NsmModel } from '../world/nsm.js';
import type { NspModel } from '../world/nsp.js';
import type { TapaUnderTest } from './model.js';
import { conduitName, NAMESPACE, TRENCH, type Scenario } from './scenario.js';

/** The shared NSP and NSM of a scenario, simulated or served over real gRPC. */
export interface Models {
  readonly nsp: NspModel;
  readonly nsm: NsmModel;
  readonly scenario: Scenario;
}

/** Every NSM local address ever given to this TAPA, on any conduit: whose targets are whose. */
function ownedAddresses(env: Models, tapa: TapaUnderTest): Set<string> {
  return new Set(connectionIds(env, tapa).flatMap((id) => env.nsm.addressesOf(id)));
}

// A TAPA's connection ids follow from its name and the scenario's conduits, and the
// checkers ask for them after every step.
const idsByScenario = new WeakMap<Scenario, Map<string, string[]>>();

function connectionIds(env: Models, tapa: TapaUnderTest): string[] {
  let byName = idsByScenario.get(env.scenario);
  if (!byName) idsByScenario.set(env.scenario, (byName = new Map()));
  let ids = byName.get(tapa.name);
  if (!ids) {
    ids = Array.from({ length: env.scenario.conduits }, (_, c) => connectionIdentity(tapa.name, NAMESPACE, TRENCH, conduitName(c)).id);
    byName.set(tapa.name, ids);
  }
  return ids;
}

/** What the world holds for one TAPA: targets carrying its IPs, its NSM connections. */
export function viewOf(env: Models, tapa: TapaUnderTest): WorldView {
  const owned = ownedAddresses(env, tapa);
  const all = env.nsp.peekTargets();
  const mine = (t: NspTarget): boolean => t.ips.some((ip) => owned.has(ip));
  return {
    targets: all.filter(mine),
    enabledByOthers: (trench, conduit, stream) =>
      all.filter(
        (t) =>
          !mine(t) &&
          t.status === 'ENABLED' &&
          t.stream?.name === stream &&
          t.stream.conduit?.name === conduit &&
          t.stream.conduit.trench?.name === trench,
      ).length,
    connections: connectionIds(env, tapa).flatMap((id) => {
      const c = env.nsm.peek(id);
      return c ? [c] : [];
    }),
    streams: (trench, conduit) => env.nsp.streams(trench, conduit),
  };
}

/**
 * Rules of the whole world, checked after every step:
 * - NSM's own rules (nsm.ts: a path kept across every call, stable interface names);
 * - no two ENABLED targets of one stream share an identifier (two load balancer slots
 *   would be one);
 * - every target of a TAPA is one that TAPA knows it may hold: a target left behind
 *   after its unregister, or under IPs the TAPA moved away from, is stale.
 */
export function worldViolations(env: Models, tapas: readonly TapaUnderTest[]): string[] {
  const all = env.nsp.peekTargets();
  return [...env.nsm.violations(), ...sharedIdentifiers(all), ...staleTargets(all, owners(env, tapas))];
}

function sharedIdentifiers(all: readonly Readonly<NspTarget>[]): string[] {
  const out: string[] = [];
  const enabled = new Map<string, Readonly<NspTarget>>();
  for (const t of all) {
    if (t.status !== 'ENABLED') continue;
    const key = `${t.stream?.conduit?.trench?.name}/${t.stream?.conduit?.name}/${t.stream?.name}#${parseIdentifier(t)}`;
    const other = enabled.get(key);
    if (other) out.push(`two ENABLED targets with identifier ${key}: ${other.ips.join(',')} and ${t.ips.join(',')}`);
    else enabled.set(key, t);
  }
  return out;
}

/** Whose targets are whose: every NSM local address ever given to a TAPA, to that TAPA. */
function owners(env: Models, tapas: readonly TapaUnderTest[]): Map<string, TapaUnderTest> {
  const owner = new Map<string, TapaUnderTest>();
  for (const tapa of tapas) for (const ip of ownedAddresses(env, tapa)) owner.set(ip, tapa);
  return owner;
}

function staleTargets(all: readonly Readonly<NspTarget>[], owner: ReadonlyMap<string, TapaUnderTest>): string[] {
  const out: string[] = [];
  for (const t of all) {
    const tapa = t.ips.map((ip) => owner.get(ip)).find((o) => o !== undefined);
    if (tapa && !tapa.holds(t)) out.push(`${tapa.name}: stale target ${t.ips.join(',')} in ${t.stream?.conduit?.name}/${t.stream?.name}`);
  }
  return out;
}

/**
 * worldViolations for a run that checks after every step of a TAPA or the NSP, at the
 * cost of what changed since the last check, which found nothing (or the run would have
 * ended). Identifiers can only clash after the registry changed. A target can only turn
 * stale after the registry changed, after NSM gave out addresses (every allocation is
 * reported to the monitor), or after a step of its TAPA: a TAPA's state changes only in
 * its own steps.
 */
export class WorldChecker {
  private registryChanged = true;
  private owner: Map<string, TapaUnderTest> | undefined;

  constructor(
    private readonly env: Models,
    private readonly tapas: readonly TapaUnderTest[],
    /** Whether NSM's own rules are held against these TAPAs (Model.keepsNsmPaths). */
    private readonly nsmRules = true,
  ) {
    env.nsp.onTargetsChange(() => {
      this.registryChanged = true;
    });
    env.nsm.onEvent(() => {
      this.owner = undefined;
    });
  }

  /** `tapa`: the TAPA whose step this was, if any. */
  violations(tapa: TapaUnderTest | undefined): string[] {
    if (!this.registryChanged && this.owner && !tapa) return [];
    const all = this.env.nsp.peekTargets();
    const shared = this.registryChanged ? sharedIdentifiers(all) : [];
    this.registryChanged = false;
    this.owner ??= owners(this.env, this.tapas);
    return [...(this.nsmRules ? this.env.nsm.violations() : []), ...shared, ...staleTargets(all, this.owner)];
  }
}
