import { sameSet, type TapaEffect, type TapaEvent, type TapaState } from '../../core/index.js';
import { Gate, type GateEntry } from '../../runner/gate.js';
import { Runner, type Caller } from '../../runner/runner.js';
import { coreModel, type RunnerFactory } from './core.js';
import type { Model } from '../harness/model.js';

/**
 * Deliberately broken TAPAs. They exist to show that a hunt finds real mistakes, with
 * the kind of failure one expects; they are models like any other (`--model broken:…`).
 * Broken cores misuse the core's effects; broken runners get the runner's own work
 * wrong, the part of production code that lies between the core and the world.
 */

/**
 * Makes a core misbehave: each effect is kept, replaced, dropped, or answered at once
 * with success without reaching the world. A factory, so every TAPA gets its own memory.
 */
type Breakage = () => (effect: TapaEffect, event: TapaEvent, state: TapaState) => TapaEffect | 'drop' | 'succeed';

function brokenCore(breakage: Breakage): RunnerFactory {
  return (transport, options) => {
    const tamper = breakage();
    return new (class extends Runner {
      protected override execute(effect: TapaEffect, cause: TapaEvent): void {
        const changed = tamper(effect, cause, this.state);
        if (changed === 'succeed') return 'op' in effect ? this.dispatch({ kind: 'done', op: effect.op }) : undefined;
        if (changed !== 'drop') super.execute(changed, cause);
      }
    })(transport, options);
  };
}

const CORES: Record<string, Breakage> = {
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
  // Sends an IP update without the connection's path, as the core once did: NSMgr takes it for a new connection.
  'new-path-on-update': () => (effect, _event, state) => {
    if (effect.kind !== 'nsmRequest') return effect;
    const op = state.trenches.get(effect.scope.trench)?.conduits.get(effect.scope.conduit ?? '')?.nsmOp;
    if (op?.id !== effect.op || op.call !== 'update' || !effect.request.connection) return effect;
    const { path: _dropped, ...connection } = effect.request.connection;
    return { ...effect, request: { ...effect.request, connection } };
  },
  // Never sees other targets, so it takes identifiers others hold: two ENABLED targets share one.
  'reuses-identifier': () => (effect) =>
    effect.kind === 'getTargets'
      ? { ...effect, filter: { ...effect.filter, ips: [], stream: { name: '\u0000nothing', maxTargets: 0 } } }
      : effect,
};

/** A gate that forgets to give back the place of a call cancelled in flight, as every get-targets is. */
class LeakyGate extends Gate {
  protected override cancel(id: number, entry: GateEntry): void {
    if (entry.call === undefined) return super.cancel(id, entry);
    entry.call.cancel();
  }
}

const RUNNERS: Record<string, RunnerFactory> = {
  'runner-gate-leak': (transport, options) =>
    new (class extends Runner {
      protected override newGate(limit: number, now: () => number): Gate {
        return new LeakyGate(limit, now);
      }
    })(transport, options),
  // Keeps timers in one slot per millisecond: of two timers due at the same time, the first is lost.
  'runner-timer-slots': (transport, options) =>
    new (class extends Runner {
      private readonly slots = new Map<number, number>();
      protected override execute(effect: TapaEffect, cause: TapaEvent): void {
        if (effect.kind === 'setTimer') {
          const at = this.transport.now() + effect.afterMs;
          const previous = this.slots.get(at);
          if (previous !== undefined) super.execute({ kind: 'cancelTimer', timer: previous }, cause);
          this.slots.set(at, effect.timer);
        }
        super.execute(effect, cause);
      }
    })(transport, options),
  // Numbers Tap calls and Watch subscribers separately but routes both through one table.
  'runner-watch-routing': (transport, options) =>
    new (class extends Runner {
      private readonly counters = { request: 0, watcher: 0 };
      protected override enroll(caller: Caller, as: 'request' | 'watcher'): number {
        const id = ++this.counters[as];
        this.callers.set(id, caller);
        return id;
      }
    })(transport, options),
};

export const brokenModels: Model[] = [
  ...Object.entries(CORES).map(([name, breakage]) => coreModel(`broken:${name}`, brokenCore(breakage))),
  ...Object.entries(RUNNERS).map(([name, build]) => coreModel(`broken:${name}`, build)),
];
