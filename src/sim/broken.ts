import { sameSet } from '../core/index.js';
import { coreModel, type Breakage } from './core-tapa.js';
import type { Model } from './model.js';

/**
 * Deliberately broken cores. They exist to show that a hunt finds real mistakes, with
 * the kind of failure one expects; they are models like any other (`--model broken:…`).
 */
const BREAKAGES: Record<string, Breakage> = {
  // Stops answering Tap.Open once NSM has moved a conduit to new IPs: a hang.
  'silent-after-ip-change': () => {
    const first = new Map<string, readonly string[]>();
    let moved = false;
    return (effect, event, state) => {
      for (const trench of state.trenches.values()) {
        for (const c of trench.conduits.values()) {
          if (c.localIps.length === 0) continue;
          const seen = first.get(c.identity.id);
          if (!seen) first.set(c.identity.id, c.localIps);
          else if (!sameSet(seen, c.localIps)) moved = true;
        }
      }
      return moved && effect.kind === 'reply' && event.kind === 'tapOpen' ? 'drop' : effect;
    };
  },
  // Believes the old target is gone after an IP change without telling the NSP: a stale target.
  'keeps-old-target': () => (effect, _event, state) => {
    if (effect.kind !== 'unregister') return effect;
    const conduit = state.trenches.get(effect.scope.trench)?.conduits.get(effect.scope.conduit ?? '');
    const stream = conduit?.streams.get(effect.scope.stream ?? '');
    const moved = conduit !== undefined && conduit.localIps.length > 0 && !sameSet(conduit.localIps, effect.target.ips);
    return stream?.wanted && moved ? 'succeed' : effect;
  },
  // Never sees other targets, so it takes identifiers others hold: two ENABLED targets share one.
  'reuses-identifier': () => (effect) =>
    effect.kind === 'getTargets' ? { ...effect, filter: { ...effect.filter, ips: [], stream: { name: '\u0000nothing', maxTargets: 0 } } } : effect,
};

export const brokenModels: Model[] = Object.entries(BREAKAGES).map(([name, breakage]) => coreModel(breakage, `broken:${name}`));
