import { IDENTIFIER_KEY, emptyIpContext, initialState, step, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
import type { Connection, ConnectionEvent, NspTarget } from '../core/wire.js';

/**
 * A short walk through the core: a pod opens a stream, NSM connects the conduit, the NSP
 * confirms the stream, the target is registered; then NSM changes the pod's IP (the
 * event that deadlocks the Go TAPA in #578) and the target moves; then shutdown.
 * The world here is scripted to answer every call at once; the simulation harness
 * replaces it with real models and a scheduler.
 */
export function demo(print: (line: string) => void): void {
  const state = initialState(578, { name: 'target-a', node: 'worker-1' });
  const registry = new Map<string, NspTarget>();
  let ip = '172.16.0.2/24';
  let monitorOp = 0;
  const queue: TapaEvent[] = [];

  const world = (effect: TapaEffect): void => {
    switch (effect.kind) {
      case 'register':
        registry.set(effect.target.ips.join(';'), effect.target);
        print(`  NSP   register ${effect.target.ips.join(',')} identifier ${effect.target.context[IDENTIFIER_KEY]} ${effect.target.status}`);
        queue.push({ kind: 'done', op: effect.op });
        return;
      case 'unregister':
        registry.delete(effect.target.ips.join(';'));
        print(`  NSP   unregister ${effect.target.ips.join(',')}`);
        queue.push({ kind: 'done', op: effect.op });
        return;
      case 'getTargets':
        queue.push({ kind: 'nspTargets', op: effect.op, targets: [...registry.values()] });
        return;
      case 'watchStreams':
        queue.push({ kind: 'nspStreams', op: effect.op, streams: [{ name: 'stream-a1', maxTargets: 10, conduit: effect.filter.conduit }] });
        return;
      case 'watchFlows':
        return;
      case 'monitorConnections':
        monitorOp = effect.op;
        queue.push({ kind: 'nsmEvent', op: effect.op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
        return;
      case 'nsmRequest':
        print(`  NSM   request ${effect.request.connection?.id} -> ${ip}`);
        queue.push({ kind: 'nsmConnection', op: effect.op, connection: connectionWith(effect.request.connection!, ip) });
        return;
      case 'nsmClose':
        print(`  NSM   close ${effect.connection.id}`);
        queue.push({ kind: 'done', op: effect.op });
        return;
      case 'publish':
        return print(`  Watch ${effect.statuses.map((s) => `${s.stream?.name}=${s.status}`).join(' ') || '(none)'}`);
      case 'reply':
        return print(`  Tap   reply ${effect.error ? `${effect.error.code}: ${effect.error.message}` : 'OK'}`);
      case 'shutdownComplete':
        return print('  shutdown complete');
      default:
        return; // timers, cancels and releases need no answer in this scripted world
    }
  };
  const run = (event: TapaEvent): void => {
    queue.push(event);
    for (let e = queue.shift(); e; e = queue.shift()) for (const effect of step(state, e).effects) world(effect);
  };

  print('Tap.Watch and Tap.Open stream-a1 (conduit load-balancer-a1, trench trench-a)');
  run({ kind: 'tapWatch', watcher: 1, filter: undefined });
  run({ kind: 'tapOpen', request: 1, stream: { name: 'stream-a1', conduit: { name: 'load-balancer-a1', trench: { name: 'trench-a' } } } });
  print(`NSM moves the pod to a new IP while the target is ENABLED (#578's trigger)`);
  ip = '172.16.0.7/24';
  run({ kind: 'nsmEvent', op: monitorOp, event: moved(state, ip) });
  print('SIGTERM');
  run({ kind: 'shutdown' });
  print(`NSP targets left: ${registry.size}`);
}

function connectionWith(request: Connection, ip: string): Connection {
  return {
    ...request,
    path: { index: 0, pathSegments: [{ name: 'target-a', id: request.id, token: '', metrics: {} }] },
    context: {
      extraContext: {},
      MTU: 1500,
      ipContext: { ...emptyIpContext(), srcIpAddrs: [ip], extraPrefixes: ['172.16.0.1/24'] },
    },
  };
}

function moved(state: TapaState, ip: string): ConnectionEvent {
  const conduit = state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!;
  const connection = connectionWith(conduit.connection!, ip);
  return { type: 'UPDATE', connections: { [connection.id]: connection } };
}
