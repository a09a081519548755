import { expect } from 'chai';
import { converged, divergences, mayHold, type WorldView } from '../../src/core/converged.js';
import type { Connection, NspTarget } from '../../src/core/wire.js';
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
  target,
} from './driver.js';

function view(targets: NspTarget[], connections: Connection[], streams = [nspStream('stream-a1')], enabledByOthers = 0): WorldView {
  return { targets, connections, streams: () => streams, enabledByOthers: () => enabledByOthers };
}

describe('core: convergence', () => {
  it('an OPEN stream with its one ENABLED target under the local IPs, and its connection, is converged', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.connection!;
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED')], [connection]))).to.deep.equal([]);
    expect(converged(d.state, view([target([IP_A], id, 'ENABLED')], [connection]))).to.equal(true);
  });

  it('names what is off: a stale target, a missing or extra connection, a DISABLED target', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.connection!;
    const stale = target([IP_B], 9, 'ENABLED');
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED'), stale], [connection])).join('\n')).to.match(
      /2 targets registered, expected 1[\s\S]*stale target 172.16.0.3\/24/,
    );
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED')], [])).join('\n')).to.contain('NSM holds no connection');
    expect(divergences(d.state, view([target([IP_A], id, 'DISABLED')], [connection])).join('\n')).to.contain('target is DISABLED');
    d.close(tapStream('stream-a1'));
    expect(divergences(d.state, view([], [connection]))).to.deep.equal([`NSM connection ${connection.id} has no open stream`]);
  });

  it('a stream the NSP does not define must hold no target and not be OPEN', () => {
    const d = new Driver();
    const id = openStream(d);
    const connection = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.connection!;
    expect(divergences(d.state, view([target([IP_A], id, 'ENABLED')], [connection], [])).join('\n')).to.match(
      /1 targets registered for a stream that cannot be open[\s\S]*reported OPEN/,
    );
  });
});

describe('core: convergence, what each divergence says', () => {
  const A1 = 'trench-a/load-balancer-a1';
  const conduitOf = (d: Driver) => d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!;
  /** An OPEN stream: its driver, its identifier, the NSM connection and the NSP target. */
  function opened(): { d: Driver; id: number; connection: Connection; mine: NspTarget } {
    const d = new Driver();
    const id = openStream(d);
    return { d, id, connection: conduitOf(d).connection!, mine: target([IP_A], id, 'ENABLED', nspStream('stream-a1')) };
  }

  it('connecting: not connected yet, whether or not NSM already holds the connection', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    d.send({ kind: 'nsmEvent', op: d.pending('monitorConnections').op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
    const held = answered(d.pending('nsmRequest').request, [IP_A]);
    expect(divergences(d.state, view([], [held]))).to.deep.equal([`${A1}: not connected`]);
    expect(divergences(d.state, view([], []))).to.deep.equal([`${A1}: NSM holds no connection`, `${A1}: not connected`]);
  });

  it("another connection is not this conduit's", () => {
    const { d, connection, mine } = opened();
    const foreign = { ...connection, id: 'someone-else' };
    expect(divergences(d.state, view([mine], [foreign]))).to.deep.equal([
      `${A1}: NSM holds no connection`,
      'NSM connection someone-else has no open stream',
    ]);
  });

  it('local IPs NSM no longer gives, compared without the VIPs', () => {
    const { d, connection, mine } = opened();
    const moved = answered({ connection }, [IP_B]);
    expect(divergences(d.state, view([mine], [moved]))).to.deep.equal([`${A1}: local IPs ${IP_A} but NSM has ${IP_B}`]);
    // A VIP inside the bridge subnet comes back among the source addresses; it is no local IP.
    pushFlows(d, [flow(['172.16.0.200/32'])]);
    const update = d.pending('nsmRequest');
    d.send({ kind: 'nsmConnection', op: update.op, connection: answered(update.request, [IP_A, '172.16.0.200/32']) });
    expect(divergences(d.state, view([mine], [conduitOf(d).connection!]))).to.deep.equal([]);
  });

  it('VIPs of the flows not applied yet', () => {
    const { d, connection, mine } = opened();
    pushFlows(d, [flow(['20.0.0.1/32'])]);
    expect(divergences(d.state, view([mine], [connection]))).to.deep.equal([`${A1}: VIPs 20.0.0.1/32 not applied`]);
    expect(converged(d.state, view([mine], [connection]))).to.equal(false);
  });

  it('a stream that could be OPEN and is not, with no target', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const connection = connect(d);
    pushStreams(d, [nspStream('stream-a1')]);
    expect(divergences(d.state, view([], [connection]))).to.deep.equal([
      `${A1}/stream-a1: PENDING, not OPEN`,
      `${A1}/stream-a1: 0 targets registered, expected 1`,
    ]);
  });

  it('no local IPs (nothing in the bridge subnets): nothing is expected of the stream', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const connection = connect(d, ['10.9.9.9/24']);
    pushStreams(d, [nspStream('stream-a1')]);
    expect(divergences(d.state, view([], [connection]))).to.deep.equal([]);
  });

  it('the one target: under other IPs, with an identifier out of range or none', () => {
    const { d, id, connection } = opened();
    const s = nspStream('stream-a1');
    expect(divergences(d.state, view([target([IP_B], id, 'ENABLED', s)], [connection]))).to.deep.equal([
      `${A1}/stream-a1: target IPs ${IP_B} are not the local IPs ${IP_A}`,
    ]);
    expect(divergences(d.state, view([target([IP_A], 101, 'ENABLED', s)], [connection]))).to.deep.equal([
      `${A1}/stream-a1: identifier 101 out of range`,
    ]);
    expect(divergences(d.state, view([target([IP_A], undefined, 'ENABLED', s)], [connection]))).to.deep.equal([
      `${A1}/stream-a1: identifier (none) out of range`,
    ]);
    expect(divergences(d.state, view([target([IP_A], 100, 'ENABLED', s)], [connection]))).to.deep.equal([]);
  });

  it('a stream the other TAPAs fill must not be OPEN here; one slot short of full, it must', () => {
    const { d, connection, mine } = opened();
    expect(divergences(d.state, view([], [connection], [nspStream('stream-a1')], 100))).to.deep.equal([
      `${A1}/stream-a1: reported OPEN but cannot be`,
    ]);
    expect(divergences(d.state, view([mine], [connection], [nspStream('stream-a1')], 99))).to.deep.equal([]);
  });

  it('a closed stream whose target is still being withdrawn is expected nowhere', () => {
    const { d, connection } = opened();
    d.open(tapStream('stream-a2'));
    d.close(tapStream('stream-a1'));
    expect(divergences(d.state, view([], [connection]))).to.deep.equal([]);
  });

  it("targets of another stream, conduit or trench are not the stream's: they are stale", () => {
    const { d, connection, mine } = opened();
    for (const [s, where] of [
      [nspStream('stream-a2'), `${A1}/stream-a2`],
      [nspStream('stream-a1', 'load-balancer-b1'), 'trench-a/load-balancer-b1/stream-a1'],
      [nspStream('stream-a1', 'load-balancer-a1', 100, 'trench-b'), 'trench-b/load-balancer-a1/stream-a1'],
    ] as const) {
      expect(divergences(d.state, view([mine, target([IP_A], 7, 'ENABLED', s)], [connection]))).to.deep.equal([
        `stale target ${IP_A} in stream ${where}`,
      ]);
    }
    const streamless: NspTarget = { ...mine, stream: undefined };
    expect(divergences(d.state, view([mine, streamless], [connection]))).to.deep.equal([
      `stale target ${IP_A} in stream undefined/undefined/undefined`,
    ]);
  });

  it('mayHold: a target under our registered IPs, or any target of a stream with a call in flight', () => {
    const { d, id, mine } = opened();
    const other = target([IP_B], id, 'ENABLED', nspStream('stream-a1'));
    expect(mayHold(d.state, mine)).to.equal(true);
    expect(mayHold(d.state, other)).to.equal(false);
    for (const s of [
      nspStream('nope'),
      nspStream('stream-a1', 'load-balancer-b1'),
      nspStream('stream-a1', 'load-balancer-a1', 100, 'trench-b'),
    ]) {
      expect(mayHold(d.state, { ...mine, stream: s }), JSON.stringify(s)).to.equal(false);
    }
    expect(mayHold(d.state, { ...mine, stream: undefined })).to.equal(false);
    d.close(tapStream('stream-a1'));
    expect(mayHold(d.state, other), 'the unregister in flight').to.equal(true);
    d.done(d.pending('unregister').op);
    expect(mayHold(d.state, mine)).to.equal(false);
  });

  it('lists of several addresses are named in full', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const connection = connect(d, [IP_A, 'fd00::2/64']);
    pushStreams(d, [nspStream('stream-a1')]);
    const id = acquire(d);
    const s = nspStream('stream-a1');
    const moved = answered({ connection }, [IP_B, 'fd00::3/64']);
    expect(divergences(d.state, view([target([IP_B, 'fd00::3/64'], id, 'ENABLED', s)], [moved]))).to.deep.equal([
      `${A1}: local IPs ${IP_A},fd00::2/64 but NSM has ${IP_B},fd00::3/64`,
      `${A1}/stream-a1: target IPs ${IP_B},fd00::3/64 are not the local IPs ${IP_A},fd00::2/64`,
    ]);
    pushFlows(d, [flow(['20.0.0.1/32', '20.0.0.2/32'])]);
    const stale = target([IP_A, 'fd00::2/64'], id, 'ENABLED', nspStream('stream-a2'));
    expect(divergences(d.state, view([target([IP_A, 'fd00::2/64'], id, 'ENABLED', s), stale], [connection]))).to.deep.equal([
      `${A1}: VIPs 20.0.0.1/32,20.0.0.2/32 not applied`,
      `stale target ${IP_A},fd00::2/64 in stream ${A1}/stream-a2`,
    ]);
  });

  it('a target whose stream names no conduit or no trench is stale, and not one the TAPA may hold', () => {
    const { d, connection, mine } = opened();
    const noConduit: NspTarget = { ...mine, stream: { name: 'stream-a1', maxTargets: 0 } };
    const noTrench: NspTarget = {
      ...mine,
      stream: { name: 'stream-a1', maxTargets: 0, conduit: { name: 'load-balancer-a1', destinationPortNats: [] } },
    };
    expect(divergences(d.state, view([mine, noConduit, noTrench], [connection]))).to.deep.equal([
      `stale target ${IP_A} in stream undefined/undefined/stream-a1`,
      `stale target ${IP_A} in stream undefined/load-balancer-a1/stream-a1`,
    ]);
    expect(mayHold(d.state, noConduit)).to.equal(false);
    expect(mayHold(d.state, noTrench)).to.equal(false);
  });

  it('mayHold: nothing for a stream with no call in flight and nothing registered', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    expect(mayHold(d.state, target([IP_A], 1, 'ENABLED', nspStream('stream-a1')))).to.equal(false);
  });
});
