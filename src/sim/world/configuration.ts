import { connectionIdentity } from '../../core/index.js';
import { conduitName, NAMESPACE, streamName, tapaName, TRENCH, type Scenario, type Step } from '../harness/scenario.js';
import type { NsmModel } from './nsm.js';
import type { ConduitConfig } from './nsp.js';

/** VIP sets a 'vips' step chooses from. */
const VIP_SETS: readonly (readonly string[])[] = [['20.0.0.1/32', '2000::1/128'], ['20.0.0.1/32'], ['20.0.0.2/32', '2000::2/128'], []];

/** The trench's NSP configuration at the start of a scenario: every stream of every conduit, one flow per conduit. */
export function initialConfiguration(scenario: Scenario): ConduitConfig[] {
  return Array.from({ length: scenario.conduits }, (_, c) => ({
    name: conduitName(c),
    streams: Array.from({ length: scenario.streams }, (_, s) => ({ name: streamName(c, s), maxTargets: scenario.maxTargets })),
    flows: [{ name: `flow-${conduitName(c)}`, stream: streamName(c, 0), vips: [...VIP_SETS[0]!] }],
  }));
}

/** The configuration after a 'vips' or 'streamConfig' step; undefined for any other step. */
export function reconfigured(config: readonly ConduitConfig[], scenario: Scenario, step: Step): ConduitConfig[] | undefined {
  const conduit = step.b % scenario.conduits;
  const change = (f: (c: ConduitConfig) => ConduitConfig): ConduitConfig[] => config.map((c, i) => (i === conduit ? f(c) : c));
  switch (step.kind) {
    case 'vips':
      return change((c) => ({ ...c, flows: c.flows.map((f) => ({ ...f, vips: [...VIP_SETS[step.c % VIP_SETS.length]!] })) }));
    case 'streamConfig': {
      const name = streamName(conduit, step.c % scenario.streams);
      return change((c) => {
        if (step.c % 2 === 1)
          return { ...c, streams: c.streams.map((s) => (s.name === name ? { ...s, maxTargets: 1 + (step.c % 4) } : s)) };
        const present = c.streams.some((s) => s.name === name);
        return {
          ...c,
          streams: present ? c.streams.filter((s) => s.name !== name) : [...c.streams, { name, maxTargets: scenario.maxTargets }],
        };
      });
    }
    default:
      return undefined;
  }
}

/** Applies a 'heal', 'down', 'drop' or 'loseAddresses' step to NSM; false for any other step. `names`: the TAPAs' (default: tapaName). */
export function applyNsmFault(nsm: NsmModel, scenario: Scenario, step: Step, names?: readonly string[]): boolean {
  const a = step.a % scenario.tapas;
  const id = connectionIdentity(names?.[a] ?? tapaName(a), NAMESPACE, TRENCH, conduitName(step.b % scenario.conduits)).id;
  switch (step.kind) {
    case 'heal':
      nsm.heal(id);
      return true;
    case 'down':
      nsm.down(id);
      return true;
    case 'drop':
      nsm.drop(id);
      return true;
    case 'loseAddresses':
      nsm.loseAddresses(id);
      return true;
    default:
      return false;
  }
}
