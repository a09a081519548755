import { expect } from 'chai';
import { limits } from '../../src/core/config.js';
import type { Connection, NetworkServiceRequest } from '../../src/core/wire.js';
import { Driver, IP_A, IP_B, answered, flow, pushFlows, tapStream } from './driver.js';

const A1 = 'load-balancer-a1';
const A2 = 'load-balancer-a2';
const A3 = 'load-balancer-a3';
const idOf = (conduit: string): string => `pod-a-proxy.${conduit}.trench-a.red-0`;

/** The interface name a request asks for: the kernel mechanism preference's, else the connection's own. */
function nameAsked(request: NetworkServiceRequest): string | undefined {
  return request.mechanismPreferences[0]?.parameters['name'] ?? request.connection?.mechanism?.parameters['name'];
}

/** As NSM answers: the mechanism it chose is the preference, with the name asked for. */
function answer(d: Driver, conduit: string, src = [IP_A], expiresInMs?: number): Connection {
  const call = d.pending('nsmRequest', (e) => e.scope.conduit === conduit);
  const preference = call.request.mechanismPreferences[0];
  const connection = {
    ...answered(call.request, src),
    ...(preference ? { mechanism: preference } : {}),
  };
  d.send({ kind: 'nsmConnection', op: call.op, connection, ...(expiresInMs === undefined ? {} : { expiresInMs }) });
  return connection;
}

function noneLeft(d: Driver, conduit: string): void {
  const monitor = d.pending('monitorConnections', (e) => e.scope.conduit === conduit);
  d.send({ kind: 'nsmEvent', op: monitor.op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
}

function requested(d: Driver, conduit: string): NetworkServiceRequest {
  return d.pending('nsmRequest', (e) => e.scope.conduit === conduit).request;
}

/** Opens a stream of the conduit and answers its monitor with nothing left behind. */
function openConduit(d: Driver, conduit: string): void {
  d.open(tapStream(`stream-${conduit}`, conduit));
  noneLeft(d, conduit);
}

/** Closes the conduit's only stream, never registered, and lets NSM close the connection. */
function closeConduit(d: Driver, conduit: string): void {
  d.close(tapStream(`stream-${conduit}`, conduit));
  d.done(d.pending('nsmClose', (e) => e.scope.conduit === conduit).op);
}

/** A connection a previous incarnation left, as the monitor's first event reports it. */
function leftBehind(d: Driver, conduit: string, name: string): Connection {
  const id = idOf(conduit);
  const left: Connection = {
    ...answered(
      {
        connection: {
          id,
          networkService: `proxy.${conduit}.trench-a.red`,
          labels: {},
          networkServiceEndpointName: 'proxy-x',
          payload: 'ETHERNET',
          state: 'UP',
        },
      },
      [IP_B],
    ),
    path: { index: 1, pathSegments: [{ name: 'pod-a', id, token: '', metrics: {} }] },
    mechanism: { cls: 'LOCAL', type: 'KERNEL', parameters: { name } },
  };
  const monitor = d.pending('monitorConnections', (e) => e.scope.conduit === conduit);
  d.send({ kind: 'nsmEvent', op: monitor.op, event: { type: 'INITIAL_STATE_TRANSFER', connections: { [id]: left } } });
  return left;
}

describe('core: interface names', () => {
  it('each connection asks for nsm-<k>, k the lowest number no connection of the TAPA holds', () => {
    const d = new Driver();
    openConduit(d, A1);
    expect(nameAsked(requested(d, A1))).to.equal('nsm-0');
    openConduit(d, A2);
    expect(nameAsked(requested(d, A2))).to.equal('nsm-1');
  });

  it('the name stays with the connection across a refresh, a VIP update and a reselect, even when a lower one is free', () => {
    const d = new Driver();
    openConduit(d, A2);
    answer(d, A2);
    openConduit(d, A1);
    answer(d, A1, [IP_A], 30_000);
    closeConduit(d, A2);
    d.fire(d.timerOf(limits.interfaceNameReleaseMs));
    expect(
      [...d.state.interfaceNames.values()].map((n) => n.name),
      'nsm-0 is free',
    ).to.deep.equal(['nsm-1']);
    d.fire(d.timerOf(10_000));
    const refresh = requested(d, A1);
    expect(refresh.mechanismPreferences).to.deep.equal([]);
    expect(nameAsked(refresh)).to.equal('nsm-1');
    const refreshed = answer(d, A1);
    pushFlows(d, [flow(['20.0.0.1/32'], A1)], A1);
    expect(nameAsked(requested(d, A1))).to.equal('nsm-1');
    answer(d, A1, [IP_A, '20.0.0.1/32']);
    const monitor = d.pending('monitorConnections', (e) => e.scope.conduit === A1);
    d.send({
      kind: 'nsmEvent',
      op: monitor.op,
      event: { type: 'UPDATE', connections: { [refreshed.id]: { ...refreshed, state: 'DOWN' } } },
    });
    d.done(d.pending('nsmClose').op);
    const reselect = requested(d, A1);
    expect(reselect.connection?.state).to.equal('RESELECT_REQUESTED');
    expect(reselect.mechanismPreferences[0]?.parameters['name']).to.equal('nsm-1');
  });

  it("a closed connection's name stays taken for 600 s, then is free", () => {
    const d = new Driver();
    openConduit(d, A1);
    answer(d, A1);
    closeConduit(d, A1);
    expect(d.state.trenches.size).to.equal(0);
    openConduit(d, A2);
    expect(nameAsked(requested(d, A2))).to.equal('nsm-1');
    d.fire(d.timerOf(limits.interfaceNameReleaseMs));
    expect([...d.state.interfaceNames.keys()]).to.deep.equal([idOf(A2)]);
    openConduit(d, A3);
    expect(nameAsked(requested(d, A3))).to.equal('nsm-0');
  });

  it('a conduit connected again within the 600 s gets its name back, and the release is called off', () => {
    const d = new Driver();
    openConduit(d, A2);
    openConduit(d, A1);
    answer(d, A1);
    closeConduit(d, A1);
    const release = d.timerOf(limits.interfaceNameReleaseMs);
    openConduit(d, A1);
    expect(nameAsked(requested(d, A1))).to.equal('nsm-1');
    expect(d.last).to.deep.include({ kind: 'cancelTimer', timer: release });
    expect([...d.state.timers.values()].map((t) => t.kind)).not.to.include('interfaceName');
  });

  it("a recovered connection's name is reused, and a new connection does not ask for it", () => {
    const d = new Driver();
    d.open(tapStream('stream-a1', A1));
    leftBehind(d, A1, 'nsm-0');
    const takeOver = requested(d, A1);
    expect(takeOver.connection?.state).to.equal('UP');
    expect(takeOver.mechanismPreferences[0]?.parameters['name']).to.equal('nsm-0');
    openConduit(d, A2);
    expect(nameAsked(requested(d, A2))).to.equal('nsm-1');
  });

  it('a recovered connection whose name another connection asked for meanwhile is reselected under a name of its own', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1', A1));
    openConduit(d, A2);
    expect(nameAsked(requested(d, A2))).to.equal('nsm-0');
    const left = leftBehind(d, A1, 'nsm-0');
    const close = d.pending('nsmClose');
    expect(close.connection.mechanism?.parameters['name'], 'the old interface goes').to.equal('nsm-0');
    d.done(close.op);
    const reselect = requested(d, A1);
    expect(reselect.connection?.state).to.equal('RESELECT_REQUESTED');
    expect(reselect.connection?.path).to.deep.equal({ ...left.path, index: 0 });
    expect(reselect.mechanismPreferences[0]?.parameters['name']).to.equal('nsm-1');
  });

  it('a shutdown forgets every name: no release timer outlives it', () => {
    const d = new Driver();
    openConduit(d, A1);
    answer(d, A1);
    openConduit(d, A2);
    answer(d, A2);
    closeConduit(d, A1);
    d.send({ kind: 'shutdown' });
    d.done(d.pending('nsmClose').op);
    expect(d.state.shutdown).to.equal('done');
    expect(d.state.timers.size).to.equal(0);
    expect(d.state.interfaceNames.size).to.equal(0);
  });
});
