import { emptyIpContext, initialState, step, type TapaEffect, type TapaEvent } from '../dist/core/index.js';
import type { Connection, NspStream, NspTarget } from '../dist/core/wire.js';

/**
 * Events per second of the core alone, against a world that answers every call at once:
 * `streams` streams over 10 conduits are opened, acquired, then refreshed `rounds` times.
 * The same shape at every size, so the figures compare.
 */
export function coreEventsPerSecond(streams: number, rounds: number, minMs = 500): number {
  // Small sizes finish in milliseconds, where a GC or a JIT tier-up decides the figure:
  // repeat the whole workload until enough time has passed.
  let events = 0;
  let ns = 0n;
  do {
    const run = runWorkload(streams, rounds);
    events += run.events;
    ns += run.ns;
  } while (ns < BigInt(minMs) * 1_000_000n);
  return events / (Number(ns) / 1e9);
}

function runWorkload(streams: number, rounds: number): { events: number; ns: bigint } {
  const conduits = 10;
  const state = initialState(1, { name: 'bench', node: 'n' });
  const queue: TapaEvent[] = [];
  const timers: number[] = [];
  const registry = new Map<string, NspTarget>();
  const lists = new Map<string, NspStream[]>();
  const answer = (e: TapaEffect): void => {
    switch (e.kind) {
      case 'watchStreams': {
        const conduit = e.scope.conduit ?? '';
        lists.set(conduit, Array.from({ length: streams / conduits }, (_, i) => ({ name: `s${i}`, maxTargets: 100, conduit: e.filter.conduit })));
        return void queue.push({ kind: 'nspStreams', op: e.op, streams: lists.get(conduit)! });
      }
      case 'monitorConnections':
        return void queue.push({ kind: 'nsmEvent', op: e.op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
      case 'nsmRequest': {
        const c: Connection = { ...e.request.connection!, context: { extraContext: {}, MTU: 0, ipContext: { ...emptyIpContext(), srcIpAddrs: ['172.16.0.2/24'], extraPrefixes: ['172.16.0.1/24'] } } };
        return void queue.push({ kind: 'nsmConnection', op: e.op, connection: c });
      }
      case 'register':
        registry.set(`${e.scope.conduit}/${e.scope.stream}`, e.target);
        return void queue.push({ kind: 'done', op: e.op });
      case 'getTargets': {
        const own = registry.get(`${e.scope.conduit}/${e.scope.stream}`);
        return void queue.push({ kind: 'nspTargets', op: e.op, targets: own ? [own] : [] });
      }
      case 'unregister':
      case 'nsmClose':
        return void queue.push({ kind: 'done', op: e.op });
      case 'setTimer':
        return void timers.push(e.timer);
      default:
        return;
    }
  };
  let events = 0;
  // A read index rather than shift(): shifting a queue of 10,000 events copies it each
  // time, which would charge the bench's own queue to the core at the largest size.
  const drain = (): void => {
    for (let next = 0; next < queue.length; next++) {
      events++;
      for (const effect of step(state, queue[next]!).effects) answer(effect);
    }
    queue.length = 0;
  };
  const started = process.hrtime.bigint();
  for (let i = 0; i < streams; i++) {
    queue.push({ kind: 'tapOpen', request: i, stream: { name: `s${Math.floor(i / conduits)}`, conduit: { name: `c${i % conduits}`, trench: { name: 't' } } } });
  }
  drain();
  // Fire the recovery timers, then refresh rounds.
  for (let r = 0; r < rounds; r++) {
    const due = timers.splice(0);
    for (const timer of due) queue.push({ kind: 'timer', timer });
    drain();
  }
  return { events, ns: process.hrtime.bigint() - started };
}
