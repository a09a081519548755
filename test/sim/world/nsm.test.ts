import { expect } from 'chai';
import fc from 'fast-check';
import { connectionIdentity } from '../../../src/core/connection.js';
import { inGatewaySubnets } from '../../../src/core/localips.js';
import { formatPrefixes } from '../../../src/core/prefix.js';
import type { Connection, ConnectionEvent, IPContext, NetworkServiceRequest } from '../../../src/core/wire.js';
import { emptyIpContext } from '../../../src/core/vip.js';
import { NsmCloseFailed, NsmModel, NsmRefused, NsmRequestFailed } from '../../../src/sim/world/nsm.js';

const A = connectionIdentity('tapa-a', 'red', 'trench-a', 'conduit-a');
const B = connectionIdentity('tapa-b', 'red', 'trench-a', 'conduit-a');
const C = connectionIdentity('tapa-a', 'red', 'trench-a', 'conduit-b');

function initial(identity: { id: string; networkService: string }, extra: Partial<Connection> = {}): NetworkServiceRequest {
  return {
    connection: {
      id: identity.id,
      networkService: identity.networkService,
      labels: { nodeName: 'node-1' },
      networkServiceEndpointName: '',
      payload: 'ETHERNET',
      state: 'UP',
      ...extra,
    },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL', parameters: {} }],
  };
}

function update(connection: Connection, ip: Partial<IPContext>): NetworkServiceRequest {
  return {
    connection: { ...connection, context: { extraContext: {}, MTU: 0, ipContext: { ...emptyIpContext(), ...ip } } },
    mechanismPreferences: [],
  };
}

const src = (c: Connection | undefined): string[] => c?.context?.ipContext?.srcIpAddrs ?? [];

function recording(nsm: NsmModel): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  nsm.onEvent((e) => events.push(e));
  return events;
}

const POLICY = { from: '20.0.0.1/32', proto: '', dstPort: '', srcPort: '', routes: [{ prefix: '0.0.0.0/0', nextHop: '172.16.0.1' }] };

describe('sim/world nsm: connections', () => {
  it('creates a connection as NSM answers it: bridge IPs, gateways, kernel interface, the request identity', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    expect(c).to.deep.equal({
      id: A.id,
      networkService: A.networkService,
      mechanism: { cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'nsm-0' } },
      context: {
        ipContext: { ...emptyIpContext(), srcIpAddrs: ['172.16.0.2/24', 'fd00::2/64'], extraPrefixes: ['172.16.0.1/24', 'fd00::1/64'] },
        extraContext: {},
        MTU: 1500,
      },
      labels: { nodeName: 'node-1' },
      path: {
        index: 0,
        pathSegments: [
          { name: 'tapa', id: A.id, token: '', metrics: {} },
          { name: 'nsmgr', id: `${A.id}~nsmgr-1`, token: '', metrics: {} },
        ],
      },
      networkServiceEndpointName: `proxy-${A.networkService}`,
      payload: 'ETHERNET',
      state: 'UP',
    });
    expect(nsm.connection(A.id)).to.deep.equal(c);
    expect(nsm.connections()).to.deep.equal([c]);
  });

  it('allocates per network service, in order of first request, and never hands an address out twice', () => {
    const nsm = new NsmModel();
    expect(src(nsm.request(initial(A)))).to.deep.equal(['172.16.0.2/24', 'fd00::2/64']);
    expect(src(nsm.request(initial(C)))).to.deep.equal(['172.16.1.2/24', 'fd00:1::2/64']);
    expect(nsm.connection(C.id)?.context?.ipContext?.extraPrefixes).to.deep.equal(['172.16.1.1/24', 'fd00:1::1/64']);
    expect(src(nsm.request(initial(B)))).to.deep.equal(['172.16.0.3/24', 'fd00::3/64']);
    nsm.close(nsm.connection(B.id)!);
    expect(src(nsm.request(initial(B)))).to.deep.equal(['172.16.0.4/24', 'fd00::4/64']);
    expect(nsm.addressesOf(B.id)).to.deep.equal(['172.16.0.3/24', 'fd00::3/64', '172.16.0.4/24', 'fd00::4/64']);
  });

  it('writes addresses canonically, so they equal what the TAPA computes from them', () => {
    const nsm = new NsmModel();
    for (let i = 0; i < 12; i++) nsm.request(initial({ id: `c${i}`, networkService: `proxy.c${i}.t.ns` }));
    for (let i = 0; i < 11; i++) nsm.heal('c11');
    const c = nsm.connection('c11')!;
    expect(src(c)).to.deep.equal(['172.16.11.13/24', 'fd00:b::d/64']);
    expect(c.context?.ipContext?.extraPrefixes).to.deep.equal(['172.16.11.1/24', 'fd00:b::1/64']);
    for (const x of nsm.connections()) expect(formatPrefixes(src(x))).to.deep.equal(src(x));
  });

  it('an update keeps everything, echoes the VIPs after its own addresses and takes the policies', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const next = nsm.request(update(c, { srcIpAddrs: ['172.16.0.2/24', '20.0.0.1/32', 'fd00::2/64', '2000::1/128'], policies: [POLICY] }));
    expect(src(next)).to.deep.equal(['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32', '2000::1/128']);
    expect(next.context?.ipContext?.policies).to.deep.equal([POLICY]);
    expect({ ...next, context: c.context }).to.deep.equal(c);
    expect(next.context?.ipContext?.extraPrefixes).to.deep.equal(c.context?.ipContext?.extraPrefixes);
    expect(next.context?.MTU).to.equal(1500);
  });

  it('an update cannot drop the own addresses nor claim another address of the bridge', () => {
    const nsm = new NsmModel();
    const a = nsm.request(initial(A));
    nsm.request(initial(B));
    const next = nsm.request(
      update(a, { srcIpAddrs: ['20.0.0.1/32', '172.16.0.3/24', 'fd00::3/64', '172.16.0.77/32', 'junk', '20.0.0.1/32'] }),
    );
    expect(src(next)).to.deep.equal(['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32']);
    const same = nsm.request(update(a, { srcIpAddrs: [] }));
    expect(src(same)).to.deep.equal(['172.16.0.2/24', 'fd00::2/64']);
  });

  it('a request without an IP context changes nothing, and the answer is a copy', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    nsm.request(update(c, { srcIpAddrs: ['20.0.0.1/32'], policies: [POLICY] }));
    const again = nsm.request(initial(A, { labels: { nodeName: 'elsewhere' } }));
    expect(src(again)).to.deep.equal(['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32']);
    expect(again.labels).to.deep.equal({ nodeName: 'node-1' });
    again.context!.ipContext!.srcIpAddrs.length = 0;
    again.path!.index = 7;
    expect(src(nsm.connection(A.id))).to.have.length(3);
    expect(nsm.connection(A.id)?.path?.index).to.equal(0);
  });

  it('a faulty proxy reports no gateways', () => {
    const nsm = new NsmModel({ faultyProxy: true });
    const c = nsm.request(initial(A));
    expect(nsm.faultyProxy).to.equal(true);
    expect(c.context?.ipContext?.extraPrefixes).to.deep.equal([]);
    expect(src(c)).to.deep.equal(['172.16.0.2/24', 'fd00::2/64']);
  });

  it('a reselect re-creates the connection with new addresses and keeps its interface name', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    nsm.request(update(c, { srcIpAddrs: ['20.0.0.1/32'], policies: [POLICY] }));
    nsm.down(A.id);
    const { mechanism: _m, ...rest } = nsm.connection(A.id)!;
    const again = nsm.request({
      connection: { ...rest, networkServiceEndpointName: '', state: 'RESELECT_REQUESTED' },
      mechanismPreferences: [],
    });
    expect(again.state).to.equal('UP');
    expect(src(again)).to.deep.equal(['172.16.0.3/24', 'fd00::3/64']);
    expect(again.context?.ipContext?.policies).to.deep.equal([]);
    expect(again.mechanism?.parameters).to.deep.equal({ name: 'nsm-0' });
    expect(again.networkServiceEndpointName).to.equal(`proxy-${A.networkService}`);
  });

  it('names interfaces nsm-<lowest free>, and takes a name handed back as a preference', () => {
    const nsm = new NsmModel();
    expect(nsm.request(initial(A)).mechanism?.parameters['name']).to.equal('nsm-0');
    expect(nsm.request(initial(B)).mechanism?.parameters['name']).to.equal('nsm-1');
    nsm.close(nsm.connection(A.id)!);
    expect(nsm.request(initial(C)).mechanism?.parameters['name']).to.equal('nsm-0');
    const taken = initial(A);
    taken.mechanismPreferences = [{ cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'nsm-9' } }];
    expect(nsm.request(taken).mechanism?.parameters['name']).to.equal('nsm-9');
  });

  it('refuses a request without a connection, id or network service', () => {
    const nsm = new NsmModel();
    expect(() => nsm.request({ mechanismPreferences: [] })).to.throw(NsmRequestFailed);
    expect(() => nsm.request(initial({ id: '', networkService: 'proxy.x' }))).to.throw(NsmRequestFailed);
    expect(() => nsm.request(initial({ id: 'x', networkService: '' }))).to.throw(NsmRequestFailed);
    expect(nsm.connections()).to.deep.equal([]);
  });

  it('failRequests and failCloses make the calls throw and change nothing', () => {
    const nsm = new NsmModel();
    const events = recording(nsm);
    const c = nsm.request(initial(A));
    nsm.failRequests = true;
    expect(() => nsm.request(initial(B))).to.throw(NsmRequestFailed);
    expect(() => nsm.request(update(c, { srcIpAddrs: ['20.0.0.1/32'] }))).to.throw(NsmRequestFailed);
    nsm.failCloses = true;
    expect(() => nsm.close(c)).to.throw(NsmCloseFailed);
    expect(nsm.connections()).to.deep.equal([c]);
    expect(events).to.have.length(1);
    nsm.failRequests = false;
    nsm.failCloses = false;
    nsm.close(c);
    expect(nsm.connections()).to.deep.equal([]);
  });
});

describe('sim/world nsm: monitor and faults', () => {
  it('every successful request, create or update, is an UPDATE event about that connection at path index 1', () => {
    const nsm = new NsmModel();
    const events = recording(nsm);
    const c = nsm.request(initial(A));
    nsm.request(initial(A));
    nsm.request(update(c, { srcIpAddrs: ['20.0.0.1/32'] }));
    expect(events.map((e) => e.type)).to.deep.equal(['UPDATE', 'UPDATE', 'UPDATE']);
    for (const e of events) expect(Object.keys(e.connections)).to.deep.equal([A.id]);
    const last = events[2]!.connections[A.id]!;
    expect(last.path?.index).to.equal(1);
    expect({ ...last, path: { ...last.path!, index: 0 } }).to.deep.equal(nsm.connection(A.id));
    last.context!.ipContext!.srcIpAddrs.length = 0;
    expect(src(nsm.connection(A.id))).to.have.length(3);
  });

  it('close emits DELETE; closing an unknown connection is fine and says nothing', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const events = recording(nsm);
    nsm.close(c);
    nsm.close(c);
    expect(events).to.have.length(1);
    expect(events[0]!.type).to.equal('DELETE');
    expect(events[0]!.connections[A.id]?.id).to.equal(A.id);
    expect(nsm.connection(A.id)).to.equal(undefined);
  });

  it('heal gives new local addresses, keeps the VIPs after them, and emits UPDATE', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    nsm.request(update(c, { srcIpAddrs: ['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32'] }));
    const events = recording(nsm);
    expect(nsm.heal(A.id)).to.equal(true);
    expect(src(nsm.connection(A.id))).to.deep.equal(['172.16.0.3/24', 'fd00::3/64', '20.0.0.1/32']);
    expect(events.map((e) => [e.type, src(e.connections[A.id])])).to.deep.equal([
      ['UPDATE', ['172.16.0.3/24', 'fd00::3/64', '20.0.0.1/32']],
    ]);
    // The old addresses are no longer its own: an update cannot bring them back.
    const next = nsm.request(update(c, { srcIpAddrs: ['172.16.0.2/24', '20.0.0.1/32'] }));
    expect(src(next)).to.deep.equal(['172.16.0.3/24', 'fd00::3/64', '20.0.0.1/32']);
  });

  it('down sets DOWN and emits UPDATE; a plain update does not bring it up', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const events = recording(nsm);
    expect(nsm.down(A.id)).to.equal(true);
    expect(events.map((e) => [e.type, e.connections[A.id]?.state])).to.deep.equal([['UPDATE', 'DOWN']]);
    expect(nsm.request(update(c, { srcIpAddrs: [] })).state).to.equal('DOWN');
  });

  it('drop forgets the connection and emits DELETE; the next request creates it anew', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const events = recording(nsm);
    expect(nsm.drop(A.id)).to.equal(true);
    expect(events.map((e) => e.type)).to.deep.equal(['DELETE']);
    expect(nsm.connections()).to.deep.equal([]);
    expect(src(nsm.request(update(c, { srcIpAddrs: src(c) })))).to.deep.equal(['172.16.0.3/24', 'fd00::3/64']);
  });

  it('loseAddresses leaves only the VIPs and emits UPDATE; the next request puts the own addresses back', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    nsm.request(update(c, { srcIpAddrs: ['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32'] }));
    const events = recording(nsm);
    expect(nsm.loseAddresses(A.id)).to.equal(true);
    expect(events.map((e) => [e.type, src(e.connections[A.id])])).to.deep.equal([['UPDATE', ['20.0.0.1/32']]]);
    expect(nsm.request(update(c, { srcIpAddrs: ['20.0.0.1/32'] })).context?.ipContext?.srcIpAddrs).to.deep.equal([
      '172.16.0.2/24',
      'fd00::2/64',
      '20.0.0.1/32',
    ]);
  });

  it('faults on an unknown connection change nothing and say so', () => {
    const nsm = new NsmModel();
    const events = recording(nsm);
    expect([nsm.heal('x'), nsm.down('x'), nsm.drop('x'), nsm.loseAddresses('x')]).to.deep.equal([false, false, false, false]);
    expect(events).to.deep.equal([]);
    expect(nsm.addressesOf('x')).to.deep.equal([]);
  });

  it('snapshot: INITIAL_STATE_TRANSFER of the live connections whose path holds a selector id, at index 1', () => {
    const nsm = new NsmModel();
    nsm.request(initial(A));
    nsm.request(initial(B));
    nsm.request(initial(C));
    nsm.drop(C.id);
    const seg = (id: string) => ({ name: '', id, token: '', metrics: {} });
    const snap = nsm.snapshot({ pathSegments: [seg(A.id), seg(C.id), seg('other')] });
    expect(snap.type).to.equal('INITIAL_STATE_TRANSFER');
    expect(Object.keys(snap.connections)).to.deep.equal([A.id]);
    const own = snap.connections[A.id]!;
    expect(own.path?.index).to.equal(1);
    expect(own.path?.pathSegments[0]?.id).to.equal(A.id);
    expect(own.mechanism?.type).to.equal('KERNEL');
    expect(Object.keys(nsm.snapshot({ pathSegments: [seg(A.id), seg(B.id)] }).connections)).to.deep.equal([A.id, B.id]);
    expect(nsm.snapshot({ pathSegments: [] }).connections).to.deep.equal({});
    own.labels['x'] = 'y';
    expect(nsm.connection(A.id)?.labels).to.deep.equal({ nodeName: 'node-1' });
  });

  it('addressesOf keeps every local address ever handed to an id, oldest first, after it is gone', () => {
    const nsm = new NsmModel();
    nsm.request(initial(A));
    nsm.heal(A.id);
    nsm.drop(A.id);
    nsm.request(initial(A));
    expect(nsm.addressesOf(A.id)).to.deep.equal([
      '172.16.0.2/24',
      'fd00::2/64',
      '172.16.0.3/24',
      'fd00::3/64',
      '172.16.0.4/24',
      'fd00::4/64',
    ]);
    nsm.addressesOf(A.id).length = 0;
    expect(nsm.addressesOf(A.id)).to.have.length(6);
  });
});

type NsmOp =
  | { kind: 'request'; who: number; vips: string[]; steal: boolean }
  | { kind: 'reselect' | 'close' | 'heal' | 'down' | 'drop' | 'lose'; who: number };

const IDS = [A, B, C];
const nsmOpArb: fc.Arbitrary<NsmOp> = fc.oneof(
  fc.record({
    kind: fc.constant('request' as const),
    who: fc.nat(2),
    vips: fc.subarray(['20.0.0.1/32', '2000::1/128']),
    steal: fc.boolean(),
  }),
  fc.record({
    kind: fc.constantFrom('reselect' as const, 'close' as const, 'heal' as const, 'down' as const, 'drop' as const, 'lose' as const),
    who: fc.nat(2),
  }),
);

describe('sim/world nsm: properties', () => {
  it('no address is handed out twice, and a live connection shows no address of its bridge but its current own', () => {
    fc.assert(
      fc.property(fc.array(nsmOpArb, { maxLength: 40 }), (ops) => {
        const nsm = new NsmModel();
        for (const op of ops) {
          const { id, networkService } = IDS[op.who]!;
          const live = nsm.connection(id);
          switch (op.kind) {
            case 'request': {
              // A greedy pod tries to take every bridge address it has ever seen.
              const stolen = op.steal ? nsm.connections().flatMap(src) : [];
              nsm.request(live ? update(live, { srcIpAddrs: [...stolen, ...op.vips] }) : initial({ id, networkService }));
              break;
            }
            case 'reselect':
              nsm.request(initial({ id, networkService }, { state: 'RESELECT_REQUESTED' }));
              break;
            case 'close':
              if (live) nsm.close(live);
              break;
            case 'heal':
              nsm.heal(id);
              break;
            case 'down':
              nsm.down(id);
              break;
            case 'drop':
              nsm.drop(id);
              break;
            case 'lose':
              nsm.loseAddresses(id);
              break;
          }
          const handed = IDS.flatMap((x) => nsm.addressesOf(x.id));
          expect(new Set(handed).size).to.equal(handed.length);
          for (const c of nsm.connections()) {
            const current = nsm.addressesOf(c.id).slice(-2);
            const inOwnBridge = inGatewaySubnets(src(c), c.context?.ipContext?.extraPrefixes ?? []);
            expect(current).to.include.members(inOwnBridge);
            expect(src(c).filter((a) => nsm.addressesOf(c.id).includes(a) && !current.includes(a))).to.deep.equal([]);
            expect(new Set(src(c)).size).to.equal(src(c).length);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('sim/world nsm: expiry and addresses given back', () => {
  const withToken = (identity: { id: string; networkService: string }, expires: number): NetworkServiceRequest =>
    initial(identity, {
      path: {
        index: 0,
        pathSegments: [{ name: 'tapa', id: identity.id, token: 't', expires: new Date(expires).toISOString(), metrics: {} }],
      },
    });

  it('closes a connection whose path token ran out without a refresh, and the monitor reports it deleted', () => {
    const nsm = new NsmModel();
    const events = recording(nsm);
    nsm.request(withToken(A, 9_000));
    nsm.request(initial(B));
    expect(nsm.expiresAt(A.id)).to.equal(9_000);
    expect(nsm.expiresAt(B.id)).to.equal(undefined);
    expect(nsm.expire(A.id, 8_999)).to.equal(false);
    // A refresh moves the expiry: the timer of the old token finds nothing to do.
    nsm.request(withToken(A, 18_000));
    expect(nsm.expire(A.id, 9_000)).to.equal(false);
    expect(nsm.expire(A.id, 18_000)).to.equal(true);
    expect(nsm.connection(A.id)).to.equal(undefined);
    expect(events.at(-1)).to.include({ type: 'DELETE' });
    expect(Object.keys(events.at(-1)!.connections)).to.deep.equal([A.id]);
    expect(nsm.expire(A.id, 99_000)).to.equal(false);
    expect(nsm.expire(B.id, 99_000)).to.equal(false);
  });

  it('hands out fresh addresses first, then those of closed connections, so Requests never run out', () => {
    const nsm = new NsmModel();
    const first = src(nsm.request(initial(A)));
    nsm.close(nsm.connection(A.id)!);
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const c = nsm.request(initial(B));
      seen.add(src(c)[0]!);
      if (i === 252) expect(src(c)).to.deep.equal(first);
      nsm.close(c);
    }
    expect(seen.size).to.equal(253);
  });

  it('gives back the addresses a heal or a reselect moved a connection away from, and refuses when every address is in use', () => {
    const nsm = new NsmModel();
    nsm.request(initial(A));
    for (let i = 0; i < 252; i++) nsm.heal(A.id);
    const held = src(nsm.connection(A.id));
    expect(held[0]).to.equal('172.16.0.254/24');
    nsm.heal(A.id);
    expect(src(nsm.connection(A.id))[0]).to.equal('172.16.0.2/24');
    const ids = Array.from({ length: 252 }, (_, i) => connectionIdentity(`tapa-${i}`, 'red', 'trench-a', 'conduit-a'));
    for (const id of ids) nsm.request(initial(id));
    expect(() => nsm.request(initial(B))).to.throw(RangeError, /every host address is in use/);
    nsm.drop(ids[0]!.id);
    expect(src(nsm.request(initial(B)))).to.have.length(2);
  });
});

describe('sim/world nsm: the rules of a real NSMgr', () => {
  const named = (request: NetworkServiceRequest, name: string, pod = 'tapa'): NetworkServiceRequest => ({
    connection: {
      ...request.connection!,
      path: { index: 0, pathSegments: [{ name: pod, id: request.connection!.id, token: '', metrics: {} }] },
    },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL', parameters: { name } }],
  });

  it('a client that sends back the path it was answered keeps one connection across update, refresh, reselect and Close', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const updated = nsm.request(update(c, { srcIpAddrs: ['20.0.0.1/32'] }));
    const refreshed = nsm.request({ connection: updated, mechanismPreferences: [] });
    expect(refreshed.path).to.deep.equal(c.path);
    nsm.close(refreshed);
    const { mechanism: _m, ...rest } = refreshed;
    const reselected = nsm.request({ connection: { ...rest, state: 'RESELECT_REQUESTED' }, mechanismPreferences: [] });
    expect(reselected.path).to.deep.equal(c.path);
    nsm.close(reselected);
    expect(nsm.connections()).to.deep.equal([]);
    expect(nsm.violations()).to.deep.equal([]);
  });

  it('an update without the path is a second connection for NSMgr: a violation; the model goes on serving', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const { path: _dropped, ...pathless } = c;
    const next = nsm.request(update(pathless, { srcIpAddrs: ['20.0.0.1/32'] }));
    expect(nsm.violations()).to.have.length(1);
    expect(nsm.violations()[0]).to.match(/Request with no NSMgr segment, not .*~nsmgr-1: NSMgr takes it for another connection/);
    expect(src(next)).to.deep.equal(['172.16.0.2/24', 'fd00::2/64', '20.0.0.1/32']);
  });

  it('a Close without the NSMgr segment closes nothing there: a violation, and the connection is left behind', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    nsm.close({
      ...c,
      path: { index: 0, pathSegments: [c.path!.pathSegments[0]!, { name: 'nsmgr', id: 'other', token: '', metrics: {} }] },
    });
    expect(nsm.violations()[0]).to.match(/Close with NSMgr segment other/);
    expect(nsm.connection(A.id)).to.deep.equal(c);
  });

  it('refuses, as UNKNOWN, a path whose current segment is missing or names another connection, and keeps serving', () => {
    const nsm = new NsmModel();
    const c = nsm.request(initial(A));
    const beyond = { ...c, path: { ...c.path!, index: 5 } };
    const other = { ...c, path: { index: 0, pathSegments: [{ name: 'tapa', id: 'someone-else', token: '', metrics: {} }] } };
    for (const connection of [beyond, other]) {
      expect(() => nsm.request({ connection, mechanismPreferences: [] }))
        .to.throw(NsmRefused)
        .with.property('grpcCode', 'UNKNOWN');
    }
    expect(nsm.request({ connection: c, mechanismPreferences: [] })).to.deep.equal(c);
    expect(nsm.violations()).to.deep.equal([]);
  });

  it('interface names: longer than 15 characters or taken in the pod is refused; not nsm-<n> or renamed is a violation', () => {
    const nsm = new NsmModel();
    expect(() => nsm.request(named(initial(A), 'nsm-1234567890123'))).to.throw(NsmRefused, /at most 15 characters/);
    const a = nsm.request(named(initial(A), 'nsm-3'));
    expect(a.mechanism?.parameters['name']).to.equal('nsm-3');
    expect(() => nsm.request(named(initial(C), 'nsm-3'))).to.throw(NsmRefused, /already exists/);
    // Another pod may have its own nsm-3.
    expect(nsm.request(named(initial(B), 'nsm-3', 'tapa-b')).mechanism?.parameters['name']).to.equal('nsm-3');
    nsm.request(named(initial(C), 'eth7'));
    expect(nsm.violations()).to.deep.equal([`NSM: ${C.id}: interface name eth7 is not nsm-<number>`]);
    nsm.request({ connection: { ...a, mechanism: { ...a.mechanism!, parameters: { name: 'nsm-4' } } }, mechanismPreferences: [] });
    expect(nsm.violations()[1]).to.equal(`NSM: ${A.id}: interface nsm-3 renamed nsm-4 by an update`);
  });
});
