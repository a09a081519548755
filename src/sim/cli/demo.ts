import { IDENTIFIER_KEY, emptyIpContext } from '../../core/index.js';
import type { Connection, ConnectionEvent, NetworkServiceRequest, NspStream, NspTarget } from '../../core/wire.js';
import { Runner } from '../../runner/runner.js';
import { ScriptedTransport, type ScriptedCall } from '../../runner/scripted.js';

const STREAM = { name: 'stream-a1', conduit: { name: 'load-balancer-a1', trench: { name: 'trench-a' } } };

/**
 * A short walk through the TAPA: a pod opens a stream, NSM connects the conduit, the NSP
 * confirms the stream, the target is registered; then NSM changes the pod's IP (the
 * event that deadlocks the Go TAPA in #578) and the target moves; then shutdown.
 * The production runner runs the core here; the world is scripted to answer every call
 * at once, where the simulation harness has real models and a scheduler.
 */
export function demo(print: (line: string) => void): void {
  const transport = new ScriptedTransport();
  const runner = new Runner(transport, {
    seed: 578,
    config: { name: 'target-a', node: 'worker-1' },
    nspCallsInFlight: 256,
    newSegmentId: () => 'segment',
  });
  const registry = new Map<string, NspTarget>();
  let ip = '172.16.0.2/24';
  let monitor: Extract<ScriptedCall, { kind: 'stream' }> | undefined;
  let connection: Connection | undefined;
  const watching = new Set<ScriptedCall>();

  const answer = (call: ScriptedCall): void => {
    if (call.kind === 'token') return call.answer({ ok: true, value: undefined });
    if (call.kind === 'stream') {
      watching.add(call);
      switch (call.rpc) {
        case 'getTargets':
          return call.push([...registry.values()]);
        case 'watchStreams':
          return call.push([{ name: STREAM.name, maxTargets: 10, conduit: (call.request as NspStream).conduit }]);
        case 'monitorConnections':
          monitor = call;
          return call.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
        default:
          return; // no flows in this trench
      }
    }
    switch (call.rpc) {
      case 'register': {
        const target = call.request as NspTarget;
        registry.set(target.ips.join(';'), target);
        print(`  NSP   register ${target.ips.join(',')} identifier ${target.context[IDENTIFIER_KEY]} ${target.status}`);
        return call.answer({ ok: true, value: {} });
      }
      case 'unregister': {
        const target = call.request as NspTarget;
        registry.delete(target.ips.join(';'));
        print(`  NSP   unregister ${target.ips.join(',')}`);
        return call.answer({ ok: true, value: {} });
      }
      case 'nsmRequest': {
        const asked = (call.request as NetworkServiceRequest).connection!;
        print(`  NSM   request ${asked.id} -> ${ip}`);
        connection = connectionWith(asked, ip);
        return call.answer({ ok: true, value: connection });
      }
      case 'nsmClose':
        print(`  NSM   close ${(call.request as Connection).id}`);
        return call.answer({ ok: true, value: {} });
    }
  };
  const settle = (): void => {
    for (let next = unanswered(); next; next = unanswered()) answer(next);
  };
  const unanswered = (): ScriptedCall | undefined => [...transport.calls].find((c) => !watching.has(c));
  const reply = (error?: { code: string; message: string }): void =>
    print(`  Tap   reply ${error ? `${error.code}: ${error.message}` : 'OK'}`);

  print('Tap.Watch and Tap.Open stream-a1 (conduit load-balancer-a1, trench trench-a)');
  runner.watch(undefined, (statuses) => print(`  Watch ${statuses.map((s) => `${s.stream?.name}=${s.status}`).join(' ') || '(none)'}`));
  runner.open(STREAM, reply);
  settle();
  print(`NSM moves the pod to a new IP while the target is ENABLED (#578's trigger)`);
  ip = '172.16.0.7/24';
  monitor?.push(moved(connection!, ip));
  settle();
  print('SIGTERM');
  runner.shutdown(() => print('  shutdown complete'));
  settle();
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

function moved(connection: Connection, ip: string): ConnectionEvent {
  const next = connectionWith(connection, ip);
  return { type: 'UPDATE', connections: { [next.id]: next } };
}
