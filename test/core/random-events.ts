import fc from 'fast-check';
import type { CallEffect, TapaEffect } from '../../src/core/effects.js';
import type { TapaEvent } from '../../src/core/events.js';
import type { TapaState } from '../../src/core/state.js';
import { IP_A, IP_B, answered, flow, nspStream, tapStream, target } from './driver.js';

/** A call whose answer is an event; a cancel has none. */
export type Call = Exclude<CallEffect, { kind: 'cancel' }>;

const STREAMS = [
  tapStream('stream-a1'),
  tapStream('stream-a2'),
  tapStream('stream-b1', 'load-balancer-b1'),
  tapStream('stream-x', 'load-balancer-a1', 'trench-b'),
];

/** The two numbers eventFor turns into an event. */
export const choiceArb = fc.tuple(fc.nat(9), fc.nat(1_000));

/** Keeps the calls the core made, which eventFor answers. */
export function rememberCalls(calls: Map<number, Call>, effects: readonly TapaEffect[]): void {
  for (const e of effects) if ('op' in e && e.kind !== 'cancel') calls.set(e.op, e);
}

/**
 * Turns two numbers into an event that makes sense in the current state: a Tap call, an
 * answer to a call the core is waiting for (or failing it), a timer that is set, or now
 * and then a shutdown; so that random sequences reach deep into the protocol.
 */
export function eventFor(state: TapaState, calls: ReadonlyMap<number, Call>, [kind, n]: [number, number], request: number): TapaEvent {
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
