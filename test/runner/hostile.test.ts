import { expect } from 'chai';
import fc from 'fast-check';
import type { CallError } from '../../src/core/events.js';
import { invariants } from '../../src/core/invariants.js';
import { matches } from '../../src/core/watch.js';
import { streamOf } from '../../src/core/trench.js';
import type {
  Connection,
  ConnectionEvent,
  MonitorScopeSelector,
  NetworkServiceRequest,
  NspStream,
  NspTarget,
  StreamStatus,
  TapStream,
} from '../../src/core/wire.js';
import { Runner } from '../../src/runner/runner.js';
import { ScriptedTransport, type ScriptedCall } from '../../src/runner/scripted.js';
import type { Outcome } from '../../src/runner/transport.js';
import { IP_A, IP_B, answered, flow, nspStream, tapStream, target } from '../core/driver.js';

/**
 * A hostile world around the runner and the core: every call may succeed, fail, or be
 * answered with nonsense, in any order; watches push and end at will; tokens fail; the
 * clock jumps to the next timer or deadline at any time; the application opens, closes,
 * watches and walks away throughout. After every action the runner's books must be the
 * core's, and nothing may be left running that nobody waits for.
 */
type Action =
  | { t: 'open' | 'close'; s: number }
  | { t: 'watch' | 'unwatch'; w: number; f: number }
  | { t: 'answer'; i: number; how: number }
  | { t: 'advance' }
  | { t: 'shutdown' };

// Mostly answers, some Tap calls and clock jumps, and a shutdown about once per hundred
// actions, so most runs see both life and teardown.
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ t: fc.constant('open' as const), s: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('close' as const), s: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('watch' as const, 'unwatch' as const), w: fc.nat(2), f: fc.nat(3) }) },
  { weight: 65, arbitrary: fc.record({ t: fc.constant('answer' as const), i: fc.nat(20), how: fc.nat(19) }) },
  { weight: 12, arbitrary: fc.constant({ t: 'advance' as const }) },
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
const FILTERS: (TapStream | undefined)[] = [
  undefined,
  { name: 'stream-a1' },
  { name: '', conduit: { name: 'load-balancer-b1' } },
  { name: 'none' },
];

/** Target-protocol calls in flight per NSP: small, so that the gate queues. */
const GATE = 2;
const DOWN: CallError = { code: 'UNAVAILABLE', message: 'down' };

function targetsAnswer(how: number, scope: { stream?: string | undefined; conduit?: string | undefined }): NspTarget[] {
  const s = nspStream(scope.stream ?? '', scope.conduit ?? '', 0);
  switch (how % 8) {
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

/** NSM's answer to a Request: mostly a well-behaved proxy, sometimes a new IP, one outside the bridge, no context, tokens that expire. */
function connectionAnswer(request: NetworkServiceRequest, how: number, now: number): Connection {
  const echoed = request.connection?.context?.ipContext?.srcIpAddrs;
  const src = how === 3 ? [IP_B] : how === 4 ? ['10.1.1.1/24'] : (echoed ?? [IP_A]);
  const answer = answered(request, src);
  if (how === 5) {
    const { context: _none, ...bare } = answer;
    return bare;
  }
  if (how % 3 === 0) return answer;
  const own = answer.path!.pathSegments[0]!;
  return { ...answer, path: { index: 0, pathSegments: [{ ...own, expires: new Date(now + 1_000 * how).toISOString() }] } };
}

function monitorEvent(selector: MonitorScopeSelector, how: number): ConnectionEvent {
  const id = selector.pathSegments[0]?.id ?? '';
  const base = answered(
    { connection: { id, networkService: 'ns', labels: {}, networkServiceEndpointName: '', payload: 'ETHERNET', state: 'UP' } },
    [[IP_A], [IP_A], [IP_A], [IP_A], [IP_B], []][how % 6]!,
  );
  // Another pod's connection on the same monitor: alone and without a path, or listed before ours.
  const foreign = { ...answered({ connection: { ...base, id: 'other-pod' } }, [IP_B]), path: undefined };
  if (how === 17) return { type: 'DELETE', connections: { [id]: base } };
  if (how === 16) return { type: 'UPDATE', connections: { [id]: { ...base, state: 'DOWN' } } };
  if (how === 15) return { type: 'UPDATE', connections: { 'other-pod': foreign } };
  if (how === 14) {
    const other = { ...base, path: { index: 0, pathSegments: [{ name: 'x', id: 'other-pod', token: '', metrics: {} }] } };
    return { type: 'UPDATE', connections: { 'other-pod': other, [id]: base } };
  }
  return { type: how < 3 ? 'UPDATE' : 'INITIAL_STATE_TRANSFER', connections: { [id]: base } };
}

/** Does to a call what `how` says: answer it (well or badly), fail it, push on a watch, or end one. */
function act(call: ScriptedCall, how: number, now: number): void {
  if (call.kind === 'token') {
    const outcome: Outcome<{ token: string; expires: Date } | undefined> =
      how === 19
        ? { ok: false, error: { code: 'INTERNAL', message: 'no key' } }
        : { ok: true, value: how % 2 === 0 ? undefined : { token: 't', expires: new Date(now + 5_000) } };
    return call.answer(outcome);
  }
  if (call.kind === 'unary') {
    if (how === 19) return call.answer({ ok: false, error: DOWN });
    const request = call.request as NetworkServiceRequest;
    return call.answer({ ok: true, value: call.rpc === 'nsmRequest' ? connectionAnswer(request, how, now) : {} });
  }
  if (how === 19) return call.end(DOWN);
  if (how === 18) return call.end();
  switch (call.rpc) {
    case 'getTargets':
      return call.push(targetsAnswer(how, call.scope));
    case 'watchStreams': {
      const c = call.scope.conduit ?? '';
      const t = call.scope.trench;
      const all = [
        nspStream('stream-a1', c, 2, t),
        nspStream('stream-a2', c, 1, t),
        nspStream('stream-b1', c, 0, t),
        nspStream('stream-x', c, 3, t),
      ];
      const lists: NspStream[][] = [all, all.slice(1), [], all.map((s) => ({ ...s, maxTargets: 1 }))];
      return call.push(lists[how % 4]);
    }
    case 'watchFlows':
      return call.push([[], [flow(['20.0.0.1/32'])], [flow(['20.0.0.1/32', '2000::1/128'])]][how % 3]);
    case 'monitorConnections':
      return call.push(monitorEvent(call.request as MonitorScopeSelector, how));
  }
}

interface Played {
  /** What the world saw, in order: calls made, replies, snapshots. */
  readonly log: string[];
  readonly asked: number;
  readonly replies: number;
}

/**
 * Plays the actions; returns what happened. Throws if the core throws, an invariant
 * breaks, or the runner's books and the core's disagree.
 */
function play(seed: number, actions: Action[]): Played {
  const transport = new ScriptedTransport(1_000_000);
  let segments = 0;
  const runner = new Runner(transport, {
    seed,
    config: { name: 'pod', node: 'n', namespace: 'ns' },
    nspCallsInFlight: GATE,
    newSegmentId: () => `segment-${++segments}`,
    assertions: 'step',
    broken: (v) => {
      throw new Error(`invariants: ${v.join('; ')}`);
    },
  });
  const log: string[] = [];
  const seen = new Set<ScriptedCall>();
  const snapshots = new Map<number, { filter: TapStream | undefined; last: readonly StreamStatus[] | undefined; unwatch: () => void }>();
  let asked = 0;
  let replies = 0;
  const tap = (what: 'open' | 'close', stream: TapStream | undefined): void => {
    asked++;
    let answers = 0;
    runner[what](stream, (error) => {
      answers++;
      replies++;
      log.push(`reply ${what} ${error ? error.code : 'OK'}`);
    });
    // The core answers every Tap call in the step that receives it.
    if (answers !== 1) throw new Error(`Tap.${what} answered ${answers} times in its step`);
  };
  const check = (action: Action): void => {
    for (const call of transport.calls) {
      if (seen.has(call)) continue;
      seen.add(call);
      log.push(call.kind === 'token' ? `token #${call.op}` : `${call.rpc} #${call.op} ${JSON.stringify(call.request)}`);
    }
    const bad = invariants(runner.state);
    const books = runner.books();
    const sorted = (ids: Iterable<number>): string => JSON.stringify([...ids].sort((a, b) => a - b));
    if (sorted(books.calls) !== sorted(runner.state.pending.keys()))
      bad.push(`core waits for ${sorted(runner.state.pending.keys())}, runner holds ${sorted(books.calls)}`);
    if (sorted(books.timers) !== sorted(runner.state.timers.keys()))
      bad.push(`core has timers ${sorted(runner.state.timers.keys())}, runner ${sorted(books.timers)}`);
    const running = new Set(books.calls);
    for (const call of transport.calls) if (!running.has(call.op)) bad.push(`call #${call.op} runs, but the runner no longer waits for it`);
    const perTrench = new Map<string, number>();
    for (const call of transport.calls) {
      if (call.kind === 'token' || !['register', 'unregister', 'getTargets'].includes(call.rpc)) continue;
      perTrench.set(call.scope.trench, (perTrench.get(call.scope.trench) ?? 0) + 1);
    }
    for (const [trench, n] of perTrench) if (n > GATE) bad.push(`${n} target-protocol calls in flight to the NSP of ${trench}`);
    for (const [watcher, { filter, last }] of snapshots) {
      const now = [...runner.state.registry.values()]
        .map((at) => streamOf(runner.state, at)!)
        .filter((s) => matches(filter, s.tap))
        .map((s) => ({ status: s.status, stream: s.tap }));
      if (JSON.stringify(last) !== JSON.stringify(now))
        bad.push(`watcher ${watcher} last saw ${JSON.stringify(last)}, now ${JSON.stringify(now)}`);
    }
    if (bad.length > 0) throw new Error(`after ${JSON.stringify(action)}: ${bad.join('; ')}`);
  };
  for (const a of actions) {
    switch (a.t) {
      case 'open':
      case 'close':
        tap(a.t, STREAMS[a.s]);
        break;
      case 'watch': {
        snapshots.get(a.w)?.unwatch();
        const entry: { filter: TapStream | undefined; last: readonly StreamStatus[] | undefined; unwatch: () => void } = {
          filter: FILTERS[a.f],
          last: undefined,
          unwatch: () => {},
        };
        snapshots.set(a.w, entry);
        entry.unwatch = runner.watch(entry.filter, (statuses) => {
          // A snapshot carries news, except the first.
          if (entry.last !== undefined && JSON.stringify(entry.last) === JSON.stringify(statuses))
            throw new Error(`watcher ${a.w} sent an unchanged snapshot`);
          entry.last = statuses;
          log.push(`watch ${a.w} ${JSON.stringify(statuses)}`);
        });
        break;
      }
      case 'unwatch':
        snapshots.get(a.w)?.unwatch();
        snapshots.delete(a.w);
        break;
      case 'answer': {
        const calls = [...transport.calls];
        if (calls.length > 0) act(calls[a.i % calls.length]!, a.how, transport.now());
        break;
      }
      case 'advance':
        transport.advance();
        break;
      case 'shutdown':
        runner.shutdown(() => log.push('shutdown complete'));
        break;
    }
    check(a);
  }
  return { log, asked, replies };
}

describe('runner: a hostile world around the runner and the core', () => {
  it('never throws; invariants hold; the runner holds exactly the calls and timers the core waits for, and no more than the gate allows', () => {
    fc.assert(
      fc.property(fc.nat(), actionsArb(200), (seed, actions) => {
        play(seed, actions);
      }),
      { numRuns: Number(process.env.TAPA_PROPERTY_RUNS ?? 300) },
    );
  });

  it('the same seed and actions give the same calls, replies and snapshots', () => {
    fc.assert(
      fc.property(fc.nat(), actionsArb(120), (seed, actions) => {
        expect(play(seed, actions).log).to.deep.equal(play(seed, actions).log);
      }),
      { numRuns: 100 },
    );
  });

  it('every Tap call is answered exactly once', () => {
    fc.assert(
      fc.property(fc.nat(), actionsArb(120), (seed, actions) => {
        const { asked, replies } = play(seed, actions);
        expect(replies).to.equal(asked);
      }),
      { numRuns: 100 },
    );
  });
});
