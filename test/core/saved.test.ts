import { expect } from 'chai';
import fc from 'fast-check';
import type { CallEffect, TapaEffect } from '../../src/core/effects.js';
import type { TapaEvent } from '../../src/core/events.js';
import { invariants } from '../../src/core/invariants.js';
import { loadState, saveState } from '../../src/core/saved.js';
import { initialState, type TapaState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';
import { IP_A, IP_B, answered, flow, nspStream, tapStream, target } from './driver.js';

/** A call whose answer is an event; a cancel has none. */
type Call = Exclude<CallEffect, { kind: 'cancel' }>;

const STREAMS = [
  tapStream('stream-a1'),
  tapStream('stream-a2'),
  tapStream('stream-b1', 'load-balancer-b1'),
  tapStream('stream-x', 'load-balancer-a1', 'trench-b'),
];

/** Data as JSON sees it: an absent field and an undefined one are the same. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;
const saved = (state: TapaState): unknown => JSON.parse(saveState(state)) as unknown;

/**
 * Turns two numbers into an event that makes sense in the current state: a Tap call, an
 * answer to a call the core is waiting for (or failing it), a timer that is set, or now
 * and then a shutdown; so that random sequences reach deep into the protocol.
 */
function eventFor(state: TapaState, calls: ReadonlyMap<number, Call>, [kind, n]: [number, number], request: number): TapaEvent {
  const stream = STREAMS[n % STREAMS.length]!;
  const ops = [...state.pending.keys()];
  const timers = [...state.timers.keys()];
  const op = ops[n % Math.max(1, ops.length)];
  if (kind <= 1) return { kind: kind === 0 ? 'tapOpen' : 'tapClose', request, stream };
  if (kind === 2) return { kind: 'tapWatch', watcher: 1 + (n % 3), filter: n % 2 === 0 ? undefined : stream };
  if (kind === 3) return { kind: 'tapUnwatch', watcher: 1 + (n % 3) };
  if (kind === 8 && timers.length > 0) return { kind: 'timer', timer: timers[n % timers.length]! };
  if (kind === 9 && n % 7 === 0) return { kind: 'shutdown' };
  if (op === undefined) return { kind: 'tapOpen', request, stream };
  if (n % 5 === 0) return { kind: 'failed', op, error: { code: 'UNAVAILABLE', message: 'injected' } };
  const call = calls.get(op)!;
  const conduit = call.scope.conduit ?? '';
  const ip = n % 3 === 0 ? IP_B : IP_A;
  switch (call.kind) {
    case 'watchStreams':
      return { kind: 'nspStreams', op, streams: [nspStream('stream-a1', conduit, 1 + (n % 4)), nspStream('stream-b1', conduit)] };
    case 'watchFlows':
      return { kind: 'nspFlows', op, flows: n % 2 === 0 ? [] : [flow(['20.0.0.1/32'], conduit)] };
    case 'monitorConnections':
      return { kind: 'nsmEvent', op, event: { type: n % 2 === 0 ? 'INITIAL_STATE_TRANSFER' : 'UPDATE', connections: {} } };
    case 'nsmRequest': {
      const connection = answered(call.request, [ip]);
      return n % 2 === 0 ? { kind: 'nsmConnection', op, connection } : { kind: 'nsmConnection', op, connection, expiresInMs: 1 + n };
    }
    case 'getTargets':
      return { kind: 'nspTargets', op, targets: n % 2 === 0 ? [] : [target([ip], 1 + (n % 3), 'ENABLED', call.filter.stream)] };
    case 'register':
    case 'unregister':
    case 'nsmClose':
      return { kind: 'done', op };
  }
}

describe('core: the state is plain data', () => {
  it('after every step of random event sequences, a JSON copy equals the state and steps exactly as it does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(fc.tuple(fc.nat(9), fc.nat(1_000)), { maxLength: 60 }),
        (seed, script) => {
          const state = initialState(seed, { name: 'pod-a', node: 'node-1' });
          const calls = new Map<number, Call>();
          for (const [i, choice] of script.entries()) {
            const copy = loadState(saveState(state));
            expect(saved(copy)).to.deep.equal(saved(state));
            const event = eventFor(state, calls, choice, i + 1);
            const effects: TapaEffect[] = step(state, event);
            expect(plain(step(copy, structuredClone(event)))).to.deep.equal(plain(effects), `effects of step ${i}, ${event.kind}`);
            expect(saved(copy)).to.deep.equal(saved(state));
            expect(invariants(copy)).to.deep.equal([]);
            for (const e of effects) if ('op' in e && e.kind !== 'cancel') calls.set(e.op, e);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a map entry without a value (a Watch without a filter) comes back without one', () => {
    const state = initialState(1);
    step(state, { kind: 'tapWatch', watcher: 1, filter: undefined });
    const copy = loadState(saveState(state));
    expect([...copy.watchers]).to.deep.equal([[1, undefined]]);
  });
});
