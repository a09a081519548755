import { expect } from 'chai';
import fc from 'fast-check';
import type { CallEffect, TapaEffect } from '../../src/core/effects.js';
import type { TapaEvent } from '../../src/core/events.js';
import { invariants } from '../../src/core/invariants.js';
import { initialState, type TapaState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';
import { matches } from '../../src/core/watch.js';
import type { ConnectionEvent, NspTarget, StreamStatus, TapStream } from '../../src/core/wire.js';
import { IP_A, IP_B, answered, flow, nspStream, tapStream, target } from './driver.js';

/**
 * A hostile world: every call may succeed, fail, or be answered with the wrong kind of
 * result, in any order; results are duplicated and replayed late; timers fire in any
 * order; the application opens and closes valid and invalid streams throughout.
 */
type Action =
  | { t: 'open' | 'close'; s: number }
  | { t: 'watch' | 'unwatch'; w: number; f: number }
  | { t: 'answer'; i: number; how: number }
  | { t: 'replay'; i: number }
  | { t: 'timer'; i: number }
  | { t: 'shutdown' };

// Weights keep the world busy: mostly answers, some Tap calls and timers, and a
// shutdown about once per hundred actions, so most runs see both life and teardown.
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ t: fc.constant('open' as const), s: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('close' as const), s: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('watch' as const, 'unwatch' as const), w: fc.nat(2), f: fc.nat(3) }) },
  { weight: 60, arbitrary: fc.record({ t: fc.constant('answer' as const), i: fc.nat(20), how: fc.nat(19) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('replay' as const), i: fc.nat(200) }) },
  { weight: 12, arbitrary: fc.record({ t: fc.constant('timer' as const), i: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'shutdown' as const }) },
);
const actionsArb = (maxLength: number): fc.Arbitrary<Action[]> => fc.array(actionArb, { minLength: maxLength / 4, maxLength });

const STREAMS: (TapStream | undefined)[] = [
  tapStream('stream-a1'),
  tapStream('stream-a2'),
  tapStream('stream-b1', 'load-balancer-b1'),
  tapStream('stream-x', 'conduit-x', 'trench-b'),
  { name: 'stream-a1', conduit: { name: 'load-balancer-a1' } },
  tapStream(''),
  undefined,
  tapStream('stream-a1'),
];
const FILTERS: (TapStream | undefined)[] = [undefined, { name: 'stream-a1' }, { name: '', conduit: { name: 'load-balancer-b1' } }, { name: 'none' }];

function targetsAnswer(how: number, scope: { stream?: string | undefined; conduit?: string | undefined }): NspTarget[] {
  const s = nspStream(scope.stream ?? '', scope.conduit ?? '', 0);
  switch (how % 8) {
    case 0:
    case 5:
    case 6:
    case 7:
      return [];
    case 1:
      return [target([IP_B], 1, 'ENABLED', s), target(['172.16.0.9/24'], 2, 'DISABLED', s)];
    case 2:
      return [target([IP_A], 1, 'ENABLED', s)];
    case 3:
      return [target([IP_A], 2, 'DISABLED', s), target([IP_B], 2, 'DISABLED', s)];
    case 4:
      return [1, 2, 3].map((i) => target([`172.16.0.${20 + i}/24`], i, 'ENABLED', s));
    default:
      return [];
  }
}

function resultFor(effect: CallEffect, how: number): TapaEvent {
  const op = effect.op;
  if (how === 19) return { kind: 'failed', op, error: { code: 'UNAVAILABLE', message: 'down' } };
  if (how === 18) return { kind: 'done', op }; // the wrong kind for most calls
  switch (effect.kind) {
    case 'getTargets':
      return { kind: 'nspTargets', op, targets: targetsAnswer(how, effect.scope) };
    case 'register':
    case 'unregister':
    case 'nsmClose':
      return { kind: 'done', op };
    case 'nsmRequest': {
      // Mostly a well-behaved proxy (echoes an update, keeps the pod's IP); sometimes a
      // new IP or one outside the bridge subnets.
      const echoed = effect.request.connection?.context?.ipContext?.srcIpAddrs;
      const src = how === 3 ? [IP_B] : how === 4 ? ['10.1.1.1/24'] : (echoed ?? [IP_A]);
      const answer = answered(effect.request, src);
      const { context: _none, ...bare } = answer;
      // A proxy may answer without any context at all; most answers say when the path's tokens expire.
      const expiry = how % 3 === 0 ? {} : { expiresInMs: 1_000 * how };
      return { kind: 'nsmConnection', op, connection: how === 5 ? bare : answer, ...expiry };
    }
    case 'watchStreams': {
      const c = effect.scope.conduit ?? '';
      const t = effect.scope.trench;
      const all = [nspStream('stream-a1', c, 2, t), nspStream('stream-a2', c, 1, t), nspStream('stream-b1', c, 0, t), nspStream('stream-x', c, 3, t)];
      const lists = [all, all.slice(1), [], all.map((s) => ({ ...s, maxTargets: 1 }))];
      return { kind: 'nspStreams', op, streams: lists[how % 4]! };
    }
    case 'watchFlows':
      return { kind: 'nspFlows', op, flows: [[], [flow(['20.0.0.1/32'])], [flow(['20.0.0.1/32', '2000::1/128'])]][how % 3]! };
    case 'monitorConnections': {
      const id = effect.selector.pathSegments[0]?.id ?? '';
      const base = answered({ connection: { id, networkService: 'ns', labels: {}, networkServiceEndpointName: '', payload: 'ETHERNET', state: 'UP' } }, [[IP_A], [IP_A], [IP_A], [IP_A], [IP_B], []][how % 6]!);
      // Another pod's connection on the same monitor: alone and without a path, or listed before ours.
      const foreign = { ...answered({ connection: { ...base, id: 'other-pod' } }, [IP_B]), path: undefined };
      const event: ConnectionEvent =
        how === 17
          ? { type: 'DELETE', connections: { [id]: base } }
          : how === 16
            ? { type: 'UPDATE', connections: { [id]: { ...base, state: 'DOWN' } } }
            : how === 15
              ? { type: 'UPDATE', connections: { 'other-pod': foreign } }
              : how === 14
                ? { type: 'UPDATE', connections: { 'other-pod': { ...base, path: { index: 0, pathSegments: [{ name: 'x', id: 'other-pod', token: '', metrics: {} }] } }, [id]: base } }
                : { type: how < 3 ? 'UPDATE' : 'INITIAL_STATE_TRANSFER', connections: { [id]: base } };
      return { kind: 'nsmEvent', op, event };
    }
    default:
      return { kind: 'done', op };
  }
}

const WATCHES = new Set<TapaEffect['kind']>(['watchStreams', 'watchFlows', 'monitorConnections']);

/**
 * What a runner knows from the effects alone: the calls and watches it runs, the timers
 * it has set, what each Watch subscriber was last sent. The core must agree with it
 * after every step; otherwise a runner would keep calls nobody waits for, fire timers
 * nobody set, or leave a subscriber with a stale picture.
 */
class RunnerView {
  readonly running = new Map<number, CallEffect>();
  private readonly timers = new Set<number>();
  private readonly issued = new Set<number>();
  private readonly snapshots = new Map<number, readonly StreamStatus[]>();
  private completions = 0;

  /** The test hands the core a result or a timer. */
  deliver(event: TapaEvent): void {
    if (event.kind === 'timer') this.timers.delete(event.timer);
    if (!('op' in event)) return;
    const call = this.running.get(event.op);
    // A watch goes on after each message; only its end, or a unary call's answer, stops it.
    if (call && (event.kind === 'failed' || !WATCHES.has(call.kind))) this.running.delete(event.op);
  }

  /** Takes the effects of one step; returns what is wrong with them. */
  take(event: TapaEvent, effects: readonly TapaEffect[]): string[] {
    const bad: string[] = [];
    const fresh = (id: number): void => {
      if (this.issued.has(id)) bad.push(`id ${id} used twice`);
      this.issued.add(id);
    };
    for (const e of effects) {
      switch (e.kind) {
        case 'cancel':
          if (!this.running.delete(e.op)) bad.push(`cancels op ${e.op}, which is not running`);
          break;
        case 'setTimer':
          fresh(e.timer);
          this.timers.add(e.timer);
          break;
        case 'cancelTimer':
          if (!this.timers.delete(e.timer)) bad.push(`cancels timer ${e.timer}, which is not set`);
          break;
        case 'publish': {
          const before = this.snapshots.get(e.watcher);
          // A new subscription is always answered; after that, a snapshot carries news.
          if (event.kind !== 'tapWatch' && JSON.stringify(before) === JSON.stringify(e.statuses)) bad.push(`watcher ${e.watcher} sent an unchanged snapshot`);
          this.snapshots.set(e.watcher, e.statuses);
          break;
        }
        case 'shutdownComplete':
          if (++this.completions > 1) bad.push('shutdownComplete sent twice');
          break;
        case 'reply':
        case 'releaseTrench':
          break;
        default:
          fresh(e.op);
          this.running.set(e.op, e);
      }
    }
    return bad;
  }

  /** Where the core's own books disagree with the runner's. */
  disagreements(state: TapaState): string[] {
    const bad: string[] = [];
    const sorted = (ids: Iterable<number>): string => JSON.stringify([...ids].sort((a, b) => a - b));
    if (sorted(state.pending.keys()) !== sorted(this.running.keys())) bad.push(`core waits for ${sorted(state.pending.keys())}, runner runs ${sorted(this.running.keys())}`);
    if (sorted(state.timers.keys()) !== sorted(this.timers)) bad.push(`core has timers ${sorted(state.timers.keys())}, runner ${sorted(this.timers)}`);
    for (const [watcher, filter] of state.watchers) {
      const now = [...state.registry.values()].filter((s) => matches(filter, s.tap)).map((s) => ({ status: s.status, stream: s.tap }));
      if (JSON.stringify(this.snapshots.get(watcher)) !== JSON.stringify(now)) bad.push(`watcher ${watcher} last saw ${JSON.stringify(this.snapshots.get(watcher))}, now ${JSON.stringify(now)}`);
    }
    return bad;
  }
}

/**
 * Plays the actions; returns every event and effect. Throws if step throws, an invariant
 * breaks, or the core and a runner would disagree.
 */
function play(seed: number, actions: Action[]): { events: TapaEvent[]; effects: TapaEffect[]; state: unknown } {
  const state = initialState(seed, { name: 'pod', node: 'n', namespace: 'ns' });
  const runner = new RunnerView();
  const events: TapaEvent[] = [];
  const effects: TapaEffect[] = [];
  let request = 0;
  const send = (event: TapaEvent): void => {
    events.push(event);
    runner.deliver(event);
    const out = step(state, event).effects;
    effects.push(...out);
    const bad = [...invariants(state), ...runner.take(event, out), ...runner.disagreements(state)];
    if (bad.length > 0) throw new Error(`after ${JSON.stringify(event)}: ${bad.join('; ')}`);
  };
  for (const a of actions) {
    switch (a.t) {
      case 'open':
        send({ kind: 'tapOpen', request: ++request, stream: STREAMS[a.s] });
        break;
      case 'close':
        send({ kind: 'tapClose', request: ++request, stream: STREAMS[a.s] });
        break;
      case 'watch':
        send({ kind: 'tapWatch', watcher: a.w, filter: FILTERS[a.f] });
        break;
      case 'unwatch':
        send({ kind: 'tapUnwatch', watcher: a.w });
        break;
      case 'answer': {
        const ops = [...state.pending.keys()];
        if (ops.length === 0) break;
        const effect = runner.running.get(ops[a.i % ops.length]!);
        if (effect) send(resultFor(effect, a.how));
        break;
      }
      case 'replay': {
        const old = events.filter((e) => 'op' in e);
        if (old.length > 0) send(old[a.i % old.length]!);
        break;
      }
      case 'timer': {
        const timers = [...state.timers.keys()];
        send({ kind: 'timer', timer: timers.length > 0 ? timers[a.i % timers.length]! : a.i });
        break;
      }
      case 'shutdown':
        send({ kind: 'shutdown' });
        break;
    }
  }
  return { events, effects, state };
}

describe('core: properties', () => {
  it('from arbitrary event sequences, step never throws and the invariants hold after every step', () => {
    fc.assert(
      fc.property(fc.nat(), actionsArb(200), (seed, actions) => {
        play(seed, actions);
      }),
      { numRuns: Number(process.env.TAPA_PROPERTY_RUNS ?? 400) },
    );
  });

  it('the same seed and events give deep-equal states and effects', () => {
    fc.assert(
      fc.property(fc.nat(), actionsArb(120), (seed, actions) => {
        const a = play(seed, actions);
        const b = play(seed, actions);
        expect(b.events).to.deep.equal(a.events);
        expect(b.effects).to.deep.equal(a.effects);
        expect(b.state).to.deep.equal(a.state);
      }),
      { numRuns: 100 },
    );
  });

  it('every Tap call is answered exactly once, in the step that received it', () => {
    fc.assert(
      fc.property(fc.nat(), actionsArb(120), (seed, actions) => {
        const { events, effects } = play(seed, actions);
        const asked = events.filter((e) => e.kind === 'tapOpen' || e.kind === 'tapClose').length;
        expect(effects.filter((e) => e.kind === 'reply')).to.have.length(asked);
      }),
      { numRuns: 100 },
    );
  });
});
