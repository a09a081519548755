import { expect } from 'chai';
import type { Connection, ConnectionEvent } from '../../src/core/wire.js';
import { NETNS_URL } from '../../src/core/index.js';
import {
  Driver,
  IP_A,
  IP_B,
  acquire,
  answered,
  connect,
  flow,
  nspStream,
  openStream,
  pushFlows,
  pushStreams,
  tapStream,
  watched,
} from './driver.js';

const KEY = JSON.stringify(['trench-a', 'load-balancer-a1', 'stream-a1']);
const status = (d: Driver): string => watched(d.state, KEY)?.status ?? 'absent';
const conduitState = (d: Driver) => d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!;

function monitorEvent(d: Driver, event: ConnectionEvent): void {
  d.send({ kind: 'nsmEvent', op: d.pending('monitorConnections').op, event });
}

function update(connection: Connection, src: string[], state: Connection['state'] = 'UP'): ConnectionEvent {
  const ip = connection.context!.ipContext!;
  return {
    type: 'UPDATE',
    connections: { [connection.id]: { ...connection, state, context: { ...connection.context!, ipContext: { ...ip, srcIpAddrs: src } } } },
  };
}

/** A reselect begins with a Close of the connection; once it is answered, the reselect Request goes out. */
function closedForReselect(d: Driver, connection: Connection, outcome: 'done' | 'failed' = 'done') {
  expect(d.openCalls('nsmRequest'), 'no Request before the Close').to.have.length(0);
  const close = d.pending('nsmClose');
  expect(close.connection).to.deep.equal(connection);
  if (outcome === 'done') d.done(close.op);
  else d.fail(close.op);
  return d.pending('nsmRequest');
}

describe('core: conduit and NSM', () => {
  it('request shape: proxy network service, deterministic id, node label, ETHERNET, LOCAL/KERNEL', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const monitor = d.pending('monitorConnections');
    expect(monitor.selector.pathSegments.map((p) => p.id)).to.deep.equal(['pod-a-proxy.load-balancer-a1.trench-a.red-0']);
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
    const { request } = d.pending('nsmRequest');
    expect(request.connection).to.deep.include({
      id: 'pod-a-proxy.load-balancer-a1.trench-a.red-0',
      networkService: 'proxy.load-balancer-a1.trench-a.red',
      labels: { nodeName: 'node-1' },
      payload: 'ETHERNET',
    });
    expect(request.mechanismPreferences).to.deep.equal([
      { cls: 'LOCAL', type: 'KERNEL', parameters: { inodeURL: NETNS_URL, name: 'nsm-0' } },
    ]);
  });

  it('the stream is UNAVAILABLE until connected, then UNDEFINED until the NSP defines it', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    expect(status(d)).to.equal('UNAVAILABLE');
    connect(d);
    expect(status(d)).to.equal('UNDEFINED');
    pushStreams(d, [nspStream('stream-a1')]);
    expect(status(d)).to.equal('PENDING');
  });

  it('recovers the connection a previous incarnation left: context kept, interface name as preference', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const id = 'pod-a-proxy.load-balancer-a1.trench-a.red-0';
    const old = answered(
      {
        connection: {
          id,
          networkService: 'proxy.load-balancer-a1.trench-a.red',
          labels: {},
          networkServiceEndpointName: 'proxy-x',
          payload: 'ETHERNET',
          state: 'UP',
        },
      },
      [IP_B, '20.0.0.1/32'],
    );
    const left: Connection = {
      ...old,
      path: { index: 1, pathSegments: [{ name: 'pod-a', id, token: '', metrics: {} }] },
      mechanism: { cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'nsm-3', inode: '7' } },
    };
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: { [id]: left } });
    const { request } = d.pending('nsmRequest');
    expect(request.connection?.context).to.deep.equal(left.context);
    expect(request.connection?.path?.index).to.equal(0);
    expect(request.connection?.labels).to.deep.equal({ nodeName: 'node-1' });
    expect(request.connection?.mechanism?.parameters).to.deep.equal({ name: 'nsm-3', inode: '7' });
    expect(request.mechanismPreferences).to.deep.equal([
      { cls: 'LOCAL', type: 'KERNEL', parameters: { inodeURL: NETNS_URL, name: 'nsm-3' } },
    ]);
    expect(request.connection?.networkServiceEndpointName).to.equal('proxy-x');
  });

  it('a recovered DOWN connection is re-requested with RESELECT_REQUESTED and no mechanism or endpoint', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const id = 'pod-a-proxy.load-balancer-a1.trench-a.red-0';
    const left: Connection = {
      ...answered(
        { connection: { id, networkService: 'x', labels: {}, networkServiceEndpointName: 'proxy-x', payload: 'ETHERNET', state: 'DOWN' } },
        [IP_B],
      ),
      state: 'DOWN',
      path: { index: 1, pathSegments: [{ name: 'pod-a', id, token: '', metrics: {} }] },
      mechanism: { cls: 'LOCAL', type: 'KERNEL', parameters: {} },
    };
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: { [id]: left } });
    const c = closedForReselect(d, { ...left, labels: { nodeName: 'node-1' }, path: { ...left.path!, index: 0 } }).request.connection!;
    expect(c.state).to.equal('RESELECT_REQUESTED');
    expect(c.path).to.deep.equal({ ...left.path, index: 0 });
    expect(c.mechanism).to.equal(undefined);
    expect(c.networkServiceEndpointName).to.equal('');
  });

  it('a silent monitor does not block connecting: after MERIDIO_TIMEOUT the plain request goes out', () => {
    const d = new Driver(1, { timeoutMs: 7_000 });
    d.open(tapStream('stream-a1'));
    expect(d.openCalls('nsmRequest')).to.have.length(0);
    d.fire(d.timerOf(7_000));
    expect(d.pending('nsmRequest').request.connection?.state).to.equal('UP');
  });

  it('a failed connect is retried after 2 s', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
    d.fail(d.pending('nsmRequest').op);
    expect(d.openCalls('nsmRequest')).to.have.length(0);
    d.fire(d.timerOf(2_000));
    expect(d.pending('nsmRequest')).to.be.an('object');
  });

  it('VIPs: the union of all flows, applied once per distinct set, as source IPs and policy routes per family', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d, [IP_A, 'fd00::2/64']);
    pushFlows(d, [flow(['20.0.0.1/32', '2000::1/128']), flow(['20.0.0.1/32', '172.16.0.200/32'])]);
    const update = d.pending('nsmRequest');
    const ip = update.request.connection!.context!.ipContext!;
    // 172.16.0.200 lies in the bridge subnet: reachable without a policy route.
    expect(ip.srcIpAddrs).to.deep.equal([IP_A, 'fd00::2/64', '20.0.0.1/32', '2000::1/128']);
    expect(ip.policies).to.deep.equal([
      { from: '20.0.0.1/32', proto: '', dstPort: '', srcPort: '', routes: [{ prefix: '0.0.0.0/0', nextHop: '172.16.0.1' }] },
      { from: '2000::1/128', proto: '', dstPort: '', srcPort: '', routes: [{ prefix: '::/0', nextHop: 'fd00::1' }] },
    ]);
    expect(update.request.connection!.path).to.deep.equal(conduitState(d).connection!.path);
    d.send({ kind: 'nsmConnection', op: update.op, connection: answered(update.request, ip.srcIpAddrs) });
    expect(conduitState(d).localIps).to.deep.equal([IP_A, 'fd00::2/64']);
    pushFlows(d, [flow(['172.16.0.200/32', '2000::1/128', '20.0.0.1/32'])]);
    expect(d.openCalls('nsmRequest')).to.have.length(0);
  });

  it('every Request after the first is the last connection NSM returned, path and mechanism included, across refresh and IP heal', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const first = connect(d, [IP_A]);
    const mechanism = { cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'nsm-0' } };
    const path = { index: 0, pathSegments: [...first.path!.pathSegments, { name: 'nsmgr', id: 'nsmgr-1', token: '', metrics: {} }] };
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const updating = d.pending('nsmRequest');
    const answer: Connection = { ...answered(updating.request, [IP_A, '20.0.0.1/32']), mechanism, path };
    d.send({ kind: 'nsmConnection', op: updating.op, connection: answer });
    monitorEvent(d, update(answer, [IP_B, '20.0.0.1/32'])); // NSM healed the data path: new IPs
    pushFlows(d, [flow(['20.0.0.2/32'])]);
    const next = d.pending('nsmRequest').request.connection!;
    const { context: _ip, ...rest } = next;
    const { context: _old, ...answeredRest } = answer;
    expect(rest).to.deep.equal(answeredRest);
    expect(next.context?.ipContext?.srcIpAddrs).to.deep.equal([IP_B, '20.0.0.2/32']);
  });

  it('a failed VIP update is retried after 1 s', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    d.fail(d.pending('nsmRequest').op);
    d.fire(d.timerOf(1_000));
    expect(d.pending('nsmRequest').request.connection?.context?.ipContext?.srcIpAddrs).to.deep.equal([IP_A, '20.0.0.1/32']);
  });

  it('local IPs change: the old target is unregistered, a new one registered under the new IPs', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, [IP_B]));
    expect(status(d)).to.equal('PENDING');
    const un = d.pending('unregister');
    expect(un.target.ips).to.deep.equal([IP_A]);
    d.done(un.op);
    const lookup = d.pending('getTargets');
    d.send({ kind: 'nspTargets', op: lookup.op, targets: [] });
    const reg = d.pending('register');
    expect(reg.target.ips).to.deep.equal([IP_B]);
    expect(reg.target.context['identifier']).to.equal(String(id));
  });

  it('IP change while a refresh is in flight: the move waits for the call, nothing is lost', () => {
    const d = new Driver();
    openStream(d);
    d.fire(d.timerOf(30_000));
    const refresh = d.pending('getTargets');
    monitorEvent(d, update(conduitState(d).connection!, [IP_B]));
    expect(d.openCalls('unregister')).to.have.length(0);
    d.send({ kind: 'nspTargets', op: refresh.op, targets: [] });
    expect(d.pending('unregister').target.ips).to.deep.equal([IP_A]);
  });

  it('local IPs empty (no address in the bridge subnets): UNAVAILABLE, target withdrawn; back when IPs return', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, ['10.9.9.9/24']));
    expect(status(d)).to.equal('UNAVAILABLE');
    d.done(d.pending('unregister').op);
    expect(d.openCalls('getTargets')).to.have.length(0);
    monitorEvent(d, update(connection, [IP_A]));
    acquire(d);
    expect(status(d)).to.equal('OPEN');
  });

  it('monitor DOWN: targets withdrawn, the connection closed, then re-requested with reselect, path and all', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, [IP_A], 'DOWN'));
    expect(status(d)).to.equal('UNAVAILABLE');
    expect(d.pending('unregister').target.ips).to.deep.equal([IP_A]);
    const { mechanism: _chosen, ...kept } = connection;
    expect(closedForReselect(d, connection).request.connection).to.deep.equal({
      ...kept,
      networkServiceEndpointName: '',
      state: 'RESELECT_REQUESTED',
    });
  });

  it('a reselect whose Close fails goes on with the Request, as NSM heal does', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, [IP_A], 'DOWN'));
    expect(closedForReselect(d, connection, 'failed').request.connection?.state).to.equal('RESELECT_REQUESTED');
  });

  it('the monitor reporting our own Close of a reselect does not stop the reselect', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, [IP_A], 'DOWN'));
    monitorEvent(d, { ...update(connection, [IP_A], 'DOWN'), type: 'DELETE' });
    expect(closedForReselect(d, connection).request.connection?.state).to.equal('RESELECT_REQUESTED');
  });

  it('the monitor stream breaking heals as DOWN does: targets withdrawn, Close, then a reselect; the monitor re-opened after 5 s', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    d.fail(d.pending('monitorConnections').op);
    expect(status(d)).to.equal('UNAVAILABLE');
    expect(d.pending('unregister').target.ips).to.deep.equal([IP_A]);
    expect(closedForReselect(d, connection).request.connection?.state).to.equal('RESELECT_REQUESTED');
    d.fire(d.timerOf(5_000));
    expect(d.pending('monitorConnections')).to.be.an('object');
  });

  it('the monitor stream ending cleanly while a VIP update is on its way: the answer is not trusted, the path reselected', () => {
    const d = new Driver();
    openStream(d);
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const updating = d.pending('nsmRequest');
    const connection = conduitState(d).connection!;
    d.send({ kind: 'failed', op: d.pending('monitorConnections').op });
    d.send({ kind: 'nsmConnection', op: updating.op, connection: answered(updating.request, [IP_A, '20.0.0.1/32']) });
    expect(conduitState(d).connection).to.equal(undefined);
    expect(closedForReselect(d, connection).request.connection?.state).to.equal('RESELECT_REQUESTED');
  });

  it('monitor DELETE: targets withdrawn and the connection reselected, path kept (a late Request of ours may have re-made it)', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, { ...update(connection, [IP_A]), type: 'DELETE' });
    expect(status(d)).to.equal('UNAVAILABLE');
    const c = closedForReselect(d, connection).request.connection!;
    expect(c.state).to.equal('RESELECT_REQUESTED');
    expect(c.path).to.deep.equal(connection.path);
  });

  it('DELETE while a VIP update is on its way: its answer is not trusted, the connection is reselected', () => {
    const d = new Driver();
    openStream(d);
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const updating = d.pending('nsmRequest');
    const connection = conduitState(d).connection!;
    monitorEvent(d, { ...update(connection, [IP_A]), type: 'DELETE' });
    d.send({ kind: 'nsmConnection', op: updating.op, connection: answered(updating.request, [IP_A]) });
    expect(conduitState(d).connection).to.equal(undefined);
    expect(closedForReselect(d, connection).request.connection?.state).to.equal('RESELECT_REQUESTED');
  });

  it('a monitor report of new IPs while a VIP update is on its way wins over the answer, and the update is re-sent', () => {
    const d = new Driver();
    openStream(d);
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const updating = d.pending('nsmRequest');
    monitorEvent(d, update(conduitState(d).connection!, [IP_B])); // healed meanwhile
    d.send({ kind: 'nsmConnection', op: updating.op, connection: answered(updating.request, [IP_A, '20.0.0.1/32']) });
    expect(conduitState(d).localIps).to.deep.equal([IP_B]);
    expect(d.pending('nsmRequest').request.connection?.context?.ipContext?.srcIpAddrs).to.deep.equal([IP_B, '20.0.0.1/32']);
  });

  it('a reselect overtaken by a DELETE is followed by a plain request, not another reselect', () => {
    const d = new Driver();
    openStream(d);
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, [IP_A], 'DOWN'));
    const reselect = closedForReselect(d, connection);
    expect(reselect.request.connection?.state).to.equal('RESELECT_REQUESTED');
    monitorEvent(d, { ...update(connection, [IP_A], 'DOWN'), type: 'DELETE' });
    const answer = answered(reselect.request, [IP_B]);
    d.send({ kind: 'nsmConnection', op: reselect.op, connection: answer });
    // The answer as NSM gave it, path included: NSM knows it as the same connection.
    expect(d.pending('nsmRequest').request).to.deep.equal({ connection: answer, mechanismPreferences: [] });
  });

  it('an answer with a DOWN connection is healed by reselecting', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
    const req = d.pending('nsmRequest');
    const down: Connection = { ...answered(req.request, [IP_A]), state: 'DOWN' };
    d.send({ kind: 'nsmConnection', op: req.op, connection: down });
    expect(status(d)).to.equal('UNAVAILABLE');
    expect(closedForReselect(d, down).request.connection?.state).to.equal('RESELECT_REQUESTED');
  });

  it('re-opened while winding down: the conduit catches up on what it skipped (a VIP update)', () => {
    const d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    pushFlows(d, [flow(['20.0.0.1/32'])]); // no update while nothing is wanted
    expect(d.openCalls('nsmRequest')).to.have.length(0);
    d.open(tapStream('stream-a1'));
    expect(d.pending('nsmRequest').request.connection?.context?.ipContext?.srcIpAddrs).to.deep.equal([IP_A, '20.0.0.1/32']);
  });

  it('the last stream closing: targets unregistered first, then NSM Close, then the trench is released', () => {
    const d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    expect(d.openCalls('nsmClose')).to.have.length(0);
    d.done(d.pending('unregister').op);
    const close = d.pending('nsmClose');
    expect(close.connection.id).to.equal('pod-a-proxy.load-balancer-a1.trench-a.red-0');
    d.done(close.op);
    expect(d.last).to.deep.include({ kind: 'releaseTrench', trench: 'trench-a' });
    expect(d.last.filter((e) => e.kind === 'cancel')).to.have.length(3);
    expect(d.state.trenches.size).to.equal(0);
    expect(d.state.pending.size).to.equal(0);
    expect([...d.state.timers.values()], 'only the release of the interface name').to.deep.equal([
      { kind: 'interfaceName', connection: 'pod-a-proxy.load-balancer-a1.trench-a.red-0' },
    ]);
  });

  it('watch ended: re-opened after its delay (streams 500 ms, flows 2 s, monitor 5 s)', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    for (const [kind, ms] of [
      ['watchStreams', 500],
      ['watchFlows', 2_000],
      ['monitorConnections', 5_000],
    ] as const) {
      d.send({ kind: 'failed', op: d.pending(kind).op, error: { code: 'UNAVAILABLE', message: 'gone' } });
      expect(d.openCalls(kind)).to.have.length(0);
      d.fire(d.timerOf(ms));
      expect(d.pending(kind)).to.be.an('object');
    }
  });

  it('shutdown: every target unregistered, every connection closed, then shutdownComplete', () => {
    const d = new Driver();
    openStream(d);
    d.open(tapStream('stream-b1', 'load-balancer-b1'));
    connect(d, [IP_B], 'load-balancer-b1');
    d.send({ kind: 'shutdown' });
    d.done(d.pending('unregister').op);
    for (const close of d.openCalls('nsmClose')) d.done(close.op);
    expect(d.last).to.deep.include({ kind: 'shutdownComplete' });
    expect(d.state.shutdown).to.equal('done');
  });

  describe('token refresh', () => {
    /** Connects with an answer whose path tokens expire in `expiresInMs`, along `segments` hops. */
    function connectExpiring(d: Driver, expiresInMs: number | undefined, segments = 1): Connection {
      d.open(tapStream('stream-a1'));
      monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
      const request = d.pending('nsmRequest');
      const answer = answered(request.request, [IP_A]);
      // Our own segment first, as on every path NSM returns to a client.
      const hops = Array.from({ length: segments }, (_, i) => ({
        name: `hop-${i}`,
        id: i === 0 ? answer.id : `id-${i}`,
        token: 't',
        metrics: {},
      }));
      const connection = { ...answer, path: { index: 0, pathSegments: hops } };
      d.send({ kind: 'nsmConnection', op: request.op, connection, ...(expiresInMs === undefined ? {} : { expiresInMs }) });
      return connection;
    }

    it("a third of the tokens' remaining life after the answer, the connection as answered is sent again", () => {
      const d = new Driver();
      const connection = connectExpiring(d, 30_000);
      d.fire(d.timerOf(10_000));
      const refresh = d.pending('nsmRequest');
      expect(refresh.request).to.deep.equal({ connection, mechanismPreferences: [] });
      // Its answer re-arms the timer from the new expiry.
      d.send({ kind: 'nsmConnection', op: refresh.op, connection, expiresInMs: 60_000 });
      expect(d.timerOf(20_000)).to.be.a('number');
      expect(status(d)).to.equal('UNDEFINED');
    });

    it('on a longer path the first hop refreshes at a fifth, as NSM clients do', () => {
      const d = new Driver();
      connectExpiring(d, 50_000, 3);
      expect(d.timerOf(10_000)).to.be.a('number');
    });

    it('no expiry on the path: nothing to refresh', () => {
      const d = new Driver();
      connectExpiring(d, undefined);
      expect(d.state.timers.size).to.equal(0);
    });

    it('a failed refresh is retried after 200 ms, and is still a refresh', () => {
      const d = new Driver();
      const connection = connectExpiring(d, 3_000);
      d.fire(d.timerOf(1_000));
      d.fail(d.pending('nsmRequest').op);
      d.fire(d.timerOf(200));
      expect(d.pending('nsmRequest').request.connection).to.deep.equal(connection);
    });

    it('a VIP update due at the same time renews the tokens instead of a separate refresh', () => {
      const d = new Driver();
      connectExpiring(d, 3_000);
      d.fire(d.timerOf(1_000));
      d.send({
        kind: 'nsmConnection',
        op: d.pending('nsmRequest').op,
        connection: answered(d.pending('nsmRequest').request, [IP_A]),
        expiresInMs: 3_000,
      });
      pushFlows(d, [flow(['20.0.0.1/32'])]);
      const update = d.pending('nsmRequest');
      expect(update.request.connection?.context?.ipContext?.srcIpAddrs).to.include('20.0.0.1/32');
      d.send({ kind: 'nsmConnection', op: update.op, connection: answered(update.request, [IP_A, '20.0.0.1/32']), expiresInMs: 3_000 });
      expect(d.openCalls('nsmRequest')).to.have.length(0);
      expect(conduitState(d).refreshDue).to.equal(false);
    });

    it('a connection that NSM deletes stops being refreshed; the reconnect arms a new timer', () => {
      const d = new Driver();
      const connection = connectExpiring(d, 30_000);
      monitorEvent(d, { type: 'DELETE', connections: { [connection.id]: connection } });
      expect(conduitState(d).refreshTimer).to.equal(undefined);
      const again = closedForReselect(d, connection);
      d.send({ kind: 'nsmConnection', op: again.op, connection: answered(again.request, [IP_B]), expiresInMs: 9_000 });
      expect(d.timerOf(3_000)).to.be.a('number');
    });
  });
});

describe('core: conduit, what NSM and the NSP are told and what is ignored', () => {
  const A1 = { name: 'load-balancer-a1', destinationPortNats: [], trench: { name: 'trench-a' } };

  it('the watches ask for every stream and every flow of the conduit, and the monitor for our connection only', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    expect(d.pending('watchStreams').filter).to.deep.equal({ name: '', maxTargets: 0, conduit: A1 });
    expect(d.pending('watchFlows').filter).to.deep.equal({
      name: '',
      sourceSubnets: [],
      destinationPortRanges: [],
      sourcePortRanges: [],
      protocols: [],
      priority: 0,
      vips: [],
      byteMatches: [],
      stream: { name: '', maxTargets: 0, conduit: A1 },
    });
  });

  it('a first request names no endpoint; a VIP update is the connection as answered with a new IP context; a reselect asks for LOCAL/KERNEL again', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    expect(d.all.find((e) => e.kind === 'nsmRequest')).to.deep.nested.include({ 'request.connection.networkServiceEndpointName': '' });
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const update = d.pending('nsmRequest').request;
    const c = conduitState(d).connection!;
    expect(update.mechanismPreferences).to.deep.equal([]);
    expect(update.connection).to.deep.equal({ ...c, context: { ...c.context, ipContext: update.connection!.context!.ipContext } });
    const down: Connection = { ...answered(update, [IP_A]), state: 'DOWN' };
    d.send({ kind: 'nsmConnection', op: d.pending('nsmRequest').op, connection: down });
    expect(closedForReselect(d, down).request.mechanismPreferences).to.deep.equal([
      { cls: 'LOCAL', type: 'KERNEL', parameters: { inodeURL: NETNS_URL, name: 'nsm-0' } },
    ]);
  });

  it('the monitor ending before its first event ends the wait for a recovery; another watch ending does not', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    d.fail(d.pending('watchStreams').op);
    expect(d.openCalls('nsmRequest')).to.have.length(0);
    d.fail(d.pending('monitorConnections').op);
    expect(d.pending('nsmRequest').request.connection?.context).to.equal(undefined);
  });

  it('only a connection left by this TAPA, as its client (path index 1) with a kernel interface, is recovered', () => {
    const id = 'pod-a-proxy.load-balancer-a1.trench-a.red-0';
    const left = (change: Partial<Connection>): Connection => ({
      ...answered(
        { connection: { id, networkService: 'x', labels: {}, networkServiceEndpointName: 'proxy-x', payload: 'ETHERNET', state: 'UP' } },
        [IP_B],
      ),
      path: { index: 1, pathSegments: [{ name: 'pod-a', id, token: '', metrics: {} }] },
      mechanism: { cls: 'LOCAL', type: 'KERNEL', parameters: { inode: '7' } },
      ...change,
    });
    const notOurs: Partial<Connection>[] = [
      { path: { index: 0, pathSegments: [{ name: 'pod-a', id, token: '', metrics: {} }] } },
      { path: { index: 1, pathSegments: [{ name: 'pod-b', id: 'someone-else', token: '', metrics: {} }] } },
      { path: { index: 1, pathSegments: [] } },
      { path: undefined },
      { mechanism: { cls: 'REMOTE', type: 'VXLAN', parameters: {} } },
      { mechanism: undefined },
    ];
    for (const change of notOurs) {
      const d = new Driver();
      d.open(tapStream('stream-a1'));
      monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: { [id]: left(change) } });
      expect(d.pending('nsmRequest').request.connection?.context, JSON.stringify(change)).to.equal(undefined);
    }
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: { [id]: left({}) } });
    const { request } = d.pending('nsmRequest');
    expect(request.connection?.context?.ipContext?.srcIpAddrs).to.deep.equal([IP_B]);
    // No interface name was left: the connection gets one of its own.
    expect(request.mechanismPreferences).to.deep.equal([
      { cls: 'LOCAL', type: 'KERNEL', parameters: { inodeURL: NETNS_URL, name: 'nsm-0' } },
    ]);
  });

  it("another pod's connection on the monitor, or one without a path, changes nothing", () => {
    const d = new Driver();
    openStream(d);
    const mine = conduitState(d).connection!;
    const theirs = update(
      { ...mine, id: 'other-pod', path: { index: 0, pathSegments: [{ name: 'pod-b', id: 'other-pod', token: '', metrics: {} }] } },
      [IP_B],
      'DOWN',
    );
    monitorEvent(d, theirs);
    monitorEvent(d, {
      type: 'DELETE',
      connections: { x: { ...mine, path: undefined }, y: { ...mine, path: { index: 0, pathSegments: [] } } },
    });
    expect(conduitState(d).localIps).to.deep.equal([IP_A]);
    expect(status(d)).to.equal('OPEN');
    expect(d.last).to.deep.equal([]);
  });

  it('DOWN while a VIP update is on its way: the answer is not trusted and the path is reselected', () => {
    const d = new Driver();
    openStream(d);
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const updating = d.pending('nsmRequest');
    const connection = conduitState(d).connection!;
    monitorEvent(d, update(connection, [IP_A], 'DOWN'));
    d.send({ kind: 'nsmConnection', op: updating.op, connection: answered(updating.request, [IP_A, '20.0.0.1/32']) });
    expect(conduitState(d).connection).to.equal(undefined);
    expect(closedForReselect(d, connection).request.connection?.state).to.equal('RESELECT_REQUESTED');
  });

  it('a monitor report that agrees with the answer on its way leaves the answer trusted', () => {
    const d = new Driver();
    openStream(d);
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    const updating = d.pending('nsmRequest');
    monitorEvent(d, update(conduitState(d).connection!, [IP_A]));
    d.send({ kind: 'nsmConnection', op: updating.op, connection: answered(updating.request, [IP_A, '20.0.0.1/32']) });
    expect(d.openCalls('nsmRequest')).to.have.length(0);
    expect(conduitState(d).appliedVips).to.deep.equal(['20.0.0.1/32']);
  });

  it('a VIP update keeps the mechanism NSM gave the connection', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
    const connect = d.pending('nsmRequest');
    const mechanism = { cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'nsm-1' } };
    d.send({ kind: 'nsmConnection', op: connect.op, connection: { ...answered(connect.request, [IP_A]), mechanism } });
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    expect(d.pending('nsmRequest').request.connection?.mechanism).to.deep.equal(mechanism);
  });

  it('the stream list keeps only streams of this conduit and trench, the first of each name', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    pushStreams(d, [
      nspStream('stream-a1', 'load-balancer-b1'),
      nspStream('stream-a1', 'load-balancer-a1', 100, 'trench-b'),
      { ...nspStream('stream-a1'), conduit: undefined },
      { ...nspStream('stream-a1'), conduit: { name: 'load-balancer-a1', destinationPortNats: [] } },
      nspStream('stream-a1', 'load-balancer-a1', 3),
      nspStream('stream-a1', 'load-balancer-a1', 7),
    ]);
    expect([...conduitState(d).nspStreams!.values()].map((s) => s.maxTargets)).to.deep.equal([3]);
  });

  it('no flows: nothing to apply after connecting, so no update', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    pushFlows(d, []);
    connect(d);
    expect(d.openCalls('nsmRequest')).to.have.length(0);
  });

  it('the monitor selects our connection by its id alone', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    expect(d.pending('monitorConnections').selector).to.deep.equal({
      pathSegments: [{ name: '', id: 'pod-a-proxy.load-balancer-a1.trench-a.red-0', token: '', metrics: {} }],
    });
  });

  it('NSM Close is sent the connection as NSM last returned it, path and all; a failed Close is retried after 2 s', () => {
    const d = new Driver();
    openStream(d);
    const held = conduitState(d).connection!;
    d.close(tapStream('stream-a1'));
    d.done(d.pending('unregister').op);
    expect(d.pending('nsmClose').connection).to.deep.equal(held);
    d.fail(d.pending('nsmClose').op);
    expect(d.openCalls('nsmClose')).to.have.length(0);
    d.fire(d.timerOf(2_000));
    expect(d.pending('nsmClose').connection).to.deep.equal(held);
  });

  it('a connect answered with the wrong kind of result, or failing after NSM deleted the connection, backs off like any failure', () => {
    for (const deleted of [false, true]) {
      const d = new Driver();
      d.open(tapStream('stream-a1'));
      monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
      const connect = d.pending('nsmRequest');
      if (deleted) monitorEvent(d, { type: 'DELETE', connections: { x: answered(connect.request, [IP_A]) } });
      if (deleted) d.fail(connect.op);
      else d.done(connect.op);
      expect(d.openCalls('nsmRequest')).to.have.length(0);
      d.fire(d.timerOf(2_000));
      expect(d.pending('nsmRequest')).to.be.an('object');
    }
  });

  it('once connected after a failed connect, nothing more is asked of NSM', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
    d.fail(d.pending('nsmRequest').op);
    d.fire(d.timerOf(2_000));
    const connect = d.pending('nsmRequest');
    d.send({ kind: 'nsmConnection', op: connect.op, connection: answered(connect.request, [IP_A]), expiresInMs: 30_000 });
    expect(d.openCalls('nsmRequest')).to.have.length(0);
  });

  it("refresh timing follows NSM's: a third without a path, and 1/5 + 1/5 x index / hops on a path of several hops", () => {
    for (const [path, ms] of [
      [undefined, 30_000],
      [{ index: 2, pathSegments: ['a', 'b', 'c', 'd'].map((id) => ({ name: id, id, token: '', metrics: {} })) }, 27_000],
    ] as const) {
      const d = new Driver();
      d.open(tapStream('stream-a1'));
      monitorEvent(d, { type: 'INITIAL_STATE_TRANSFER', connections: {} });
      const connect = d.pending('nsmRequest');
      d.send({ kind: 'nsmConnection', op: connect.op, connection: { ...answered(connect.request, [IP_A]), path }, expiresInMs: 90_000 });
      expect(d.timerOf(ms)).to.be.a('number');
    }
  });

  it('a watch ignores what only another watch can say', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    d.send({ kind: 'nspFlows', op: d.pending('watchStreams').op, flows: [flow(['20.0.0.1/32'])] });
    d.send({ kind: 'nspStreams', op: d.pending('watchFlows').op, streams: [nspStream('stream-a1')] });
    expect(d.openCalls('nsmRequest')).to.have.length(0);
    expect(status(d)).to.equal('UNDEFINED');
  });
});
