import { expect } from 'chai';
import fc from 'fast-check';
import type { NspTarget } from '../../../src/core/wire.js';
import { NspModel, NspUnavailable, type ConduitConfig } from '../../../src/sim/world/nsp.js';
import { targetKey } from '../../../src/sim/world/targetkey.js';

type Status = NspTarget['status'];

function stream(name: string, conduit = 'conduit-a', trench = 'trench-a'): NonNullable<NspTarget['stream']> {
  return { name, conduit: { name: conduit, trench: { name: trench }, destinationPortNats: [] }, maxTargets: 100 };
}

function target(ips: string[], status: Status = 'ENABLED', identifier = '1', s = stream('stream-a')): NspTarget {
  return { ips, context: { identifier }, status, type: 'DEFAULT', stream: s };
}

const ANY: NspTarget = { ips: [], context: {}, status: 'ANY', type: 'DEFAULT' };

const CONFIG: ConduitConfig[] = [
  {
    name: 'conduit-a',
    streams: [
      { name: 'stream-a', maxTargets: 100 },
      { name: 'stream-b', maxTargets: 3 },
    ],
    flows: [{ name: 'flow-a', stream: 'stream-b', vips: ['20.0.0.1/32', '2000::1/128'] }],
  },
  { name: 'conduit-b', streams: [], flows: [] },
];

describe('sim/world nsp: configuration', () => {
  it('serves the streams and flows of a conduit as wire messages', () => {
    const nsp = new NspModel();
    nsp.configure('trench-a', CONFIG);
    const conduit = { name: 'conduit-a', trench: { name: 'trench-a' }, destinationPortNats: [] };
    expect(nsp.streams('trench-a', 'conduit-a')).to.deep.equal([
      { name: 'stream-a', conduit, maxTargets: 100 },
      { name: 'stream-b', conduit, maxTargets: 3 },
    ]);
    expect(nsp.flows('trench-a', 'conduit-a')).to.deep.equal([
      {
        name: 'flow-a',
        sourceSubnets: [],
        destinationPortRanges: [],
        sourcePortRanges: [],
        protocols: [],
        priority: 0,
        stream: { name: 'stream-b', conduit, maxTargets: 3 },
        vips: [
          { name: '20.0.0.1/32', address: '20.0.0.1/32' },
          { name: '2000::1/128', address: '2000::1/128' },
        ],
        byteMatches: [],
      },
    ]);
    expect(nsp.streams('trench-a', 'conduit-b')).to.deep.equal([]);
    expect(nsp.streams('trench-a', 'nowhere')).to.deep.equal([]);
    expect(nsp.flows('trench-b', 'conduit-a')).to.deep.equal([]);
  });

  it('replaces a trench configuration as a whole, and leaves other trenches alone', () => {
    const nsp = new NspModel();
    nsp.configure('trench-a', CONFIG);
    nsp.configure('trench-b', CONFIG);
    nsp.configure('trench-a', [{ name: 'conduit-b', streams: [{ name: 'stream-c', maxTargets: 1 }], flows: [] }]);
    expect(nsp.streams('trench-a', 'conduit-a')).to.deep.equal([]);
    expect(nsp.streams('trench-a', 'conduit-b').map((s) => s.name)).to.deep.equal(['stream-c']);
    expect(nsp.streams('trench-b', 'conduit-a')).to.have.length(2);
  });

  it('keeps its own copy of the configuration, and hands out fresh messages', () => {
    const nsp = new NspModel();
    const config = structuredClone(CONFIG) as {
      name: string;
      streams: { name: string; maxTargets: number }[];
      flows: { name: string; stream: string; vips: string[] }[];
    }[];
    nsp.configure('trench-a', config);
    config[0]!.streams[0]!.maxTargets = 7;
    config[0]!.flows[0]!.vips.push('20.0.0.9/32');
    expect(nsp.streams('trench-a', 'conduit-a')[0]!.maxTargets).to.equal(100);
    nsp.streams('trench-a', 'conduit-a')[0]!.name = 'changed';
    nsp.flows('trench-a', 'conduit-a')[0]!.vips.pop();
    expect(nsp.streams('trench-a', 'conduit-a')[0]!.name).to.equal('stream-a');
    expect(nsp.flows('trench-a', 'conduit-a')[0]!.vips).to.have.length(2);
    expect(nsp.configuration('trench-a')).to.deep.equal(CONFIG);
  });

  it('serves a flow whose stream is not configured, with maxTargets 0', () => {
    const nsp = new NspModel();
    nsp.configure('trench-a', [{ name: 'conduit-a', streams: [], flows: [{ name: 'f', stream: 'gone', vips: ['20.0.0.1/32'] }] }]);
    expect(nsp.flows('trench-a', 'conduit-a')[0]!.stream).to.deep.include({ name: 'gone', maxTargets: 0 });
  });

  it('refuses ambiguous names and a maxTargets that is not a uint32', () => {
    const nsp = new NspModel();
    expect(() => nsp.configure('t', [CONFIG[1]!, CONFIG[1]!])).to.throw(RangeError, /duplicate conduit/);
    expect(() =>
      nsp.configure('t', [
        {
          name: 'c',
          streams: [
            { name: 's', maxTargets: 1 },
            { name: 's', maxTargets: 2 },
          ],
          flows: [],
        },
      ]),
    ).to.throw(RangeError, /duplicate stream/);
    expect(() =>
      nsp.configure('t', [
        {
          name: 'c',
          streams: [],
          flows: [
            { name: 'f', stream: 's', vips: [] },
            { name: 'f', stream: 's', vips: [] },
          ],
        },
      ]),
    ).to.throw(RangeError, /duplicate flow/);
    for (const maxTargets of [-1, 1.5, 2 ** 32, NaN]) {
      expect(() => nsp.configure('t', [{ name: 'c', streams: [{ name: 's', maxTargets }], flows: [] }])).to.throw(RangeError, /maxTargets/);
    }
    expect(nsp.configuration('t')).to.deep.equal([]);
  });

  it('tells its listeners the trench after every configure, even an unchanged one', () => {
    const nsp = new NspModel();
    const heard: string[] = [];
    const off = nsp.onConfigChange((t) => heard.push(t));
    nsp.configure('trench-a', CONFIG);
    nsp.configure('trench-a', CONFIG);
    nsp.configure('trench-b', []);
    off();
    nsp.configure('trench-c', []);
    expect(heard).to.deep.equal(['trench-a', 'trench-a', 'trench-b']);
  });
});

describe('sim/world nsp: target registry', () => {
  it('forces a new target to DISABLED; an update of a known one keeps ENABLED', () => {
    const nsp = new NspModel();
    nsp.register(target(['172.16.0.2/24'], 'ENABLED'), 0);
    expect(nsp.allTargets().map((t) => t.status)).to.deep.equal(['DISABLED']);
    nsp.register(target(['172.16.0.2/24'], 'ENABLED'), 1);
    expect(nsp.allTargets().map((t) => t.status)).to.deep.equal(['ENABLED']);
    nsp.register(target(['172.16.0.2/24'], 'DISABLED'), 2);
    expect(nsp.allTargets().map((t) => t.status)).to.deep.equal(['DISABLED']);
  });

  it('keys a target by IPs in order, type and stream: identifier and status are an update', () => {
    const nsp = new NspModel();
    const a = nsp.register(target(['172.16.0.2/24', 'fd00::2/64'], 'DISABLED', '1'), 0);
    const b = nsp.register(target(['172.16.0.2/24', 'fd00::2/64'], 'ENABLED', '7'), 0);
    expect(b.key).to.equal(a.key);
    expect(a.key).to.equal('172.16.0.2/24;fd00::2/64-0-stream-a.conduit-a.trench-a');
    expect(nsp.allTargets()).to.deep.equal([target(['172.16.0.2/24', 'fd00::2/64'], 'ENABLED', '7')]);

    const swapped = nsp.register(target(['fd00::2/64', '172.16.0.2/24'], 'ENABLED', '7'), 0);
    expect(swapped.key).to.not.equal(a.key);
    expect(nsp.allTargets().map((t) => t.status)).to.deep.equal(['ENABLED', 'DISABLED']);

    nsp.register({ ...target(['172.16.0.2/24', 'fd00::2/64']), type: 'FRONTEND' }, 0);
    nsp.register(target(['172.16.0.2/24', 'fd00::2/64'], 'ENABLED', '7', stream('stream-b')), 0);
    nsp.register(target(['172.16.0.2/24', 'fd00::2/64'], 'ENABLED', '7', stream('stream-a', 'conduit-b')), 0);
    nsp.register(target(['172.16.0.2/24', 'fd00::2/64'], 'ENABLED', '7', stream('stream-a', 'conduit-a', 'trench-b')), 0);
    expect(new Set(nsp.entries().map((e) => e.key)).size).to.equal(6);
    expect(targetKey({ ips: ['1.1.1.1/32'], context: {}, status: 'ENABLED', type: 'FRONTEND' })).to.equal('1.1.1.1/32-1-..');
  });

  it('re-arms the expiry on every register: only the current generation expires the entry', () => {
    const nsp = new NspModel({ entryTimeoutMs: 1000 });
    const first = nsp.register(target(['172.16.0.2/24']), 5);
    expect(nsp.entries()[0]).to.deep.include({ key: first.key, generation: first.generation, expiresAt: 1005 });
    const second = nsp.register(target(['172.16.0.2/24']), 700);
    expect(second.generation).to.be.greaterThan(first.generation);
    expect(nsp.entries()[0]).to.deep.include({ generation: second.generation, expiresAt: 1700 });
    expect(nsp.expire(first.key, first.generation)).to.equal(false);
    expect(nsp.allTargets()).to.have.length(1);
    expect(nsp.expire(second.key, second.generation)).to.equal(true);
    expect(nsp.allTargets()).to.deep.equal([]);
    expect(nsp.expire(second.key, second.generation)).to.equal(false);
  });

  it('an expiry armed before an unregister never removes the entry registered again after it', () => {
    const nsp = new NspModel();
    const old = nsp.register(target(['172.16.0.2/24']), 0);
    nsp.unregister(target(['172.16.0.2/24']));
    nsp.register(target(['172.16.0.2/24']), 10);
    expect(nsp.expire(old.key, old.generation)).to.equal(false);
    expect(nsp.allTargets()).to.have.length(1);
  });

  it('unregisters by key, whatever identifier or status the request carries; an unknown target is fine', () => {
    const nsp = new NspModel();
    nsp.register(target(['172.16.0.2/24'], 'DISABLED', '3'), 0);
    nsp.register(target(['172.16.0.3/24'], 'DISABLED', '4'), 0);
    nsp.unregister(target(['172.16.0.9/24']));
    nsp.unregister(target(['172.16.0.2/24'], 'ENABLED', '99'));
    expect(nsp.allTargets().map((t) => t.ips)).to.deep.equal([['172.16.0.3/24']]);
    nsp.unregister(target(['172.16.0.2/24']));
  });

  it('filters like the NSP Watch: status ANY or equal, type equal, stream names with wildcards', () => {
    const nsp = new NspModel();
    const all = [
      target(['10.0.0.1/32'], 'DISABLED', '1', stream('s1', 'c1', 't1')),
      target(['10.0.0.2/32'], 'DISABLED', '1', stream('s2', 'c1', 't1')),
      target(['10.0.0.3/32'], 'DISABLED', '1', stream('s1', 'c2', 't1')),
      target(['10.0.0.4/32'], 'DISABLED', '1', stream('s1', 'c1', 't2')),
      { ...target(['10.0.0.5/32'], 'DISABLED', '1', stream('s1', 'c1', 't1')), type: 'FRONTEND' as const },
    ];
    for (const t of all) nsp.register(t, 0);
    nsp.register({ ...all[1]!, status: 'ENABLED' }, 0);
    const ips = (filter: Partial<NspTarget>): string[] => nsp.targets({ ...ANY, ...filter }).map((t) => t.ips[0]!);

    expect(ips({})).to.deep.equal(['10.0.0.1/32', '10.0.0.2/32', '10.0.0.3/32', '10.0.0.4/32']);
    expect(ips({ type: 'FRONTEND' })).to.deep.equal(['10.0.0.5/32']);
    expect(ips({ status: 'ENABLED' })).to.deep.equal(['10.0.0.2/32']);
    expect(ips({ status: 'DISABLED' })).to.deep.equal(['10.0.0.1/32', '10.0.0.3/32', '10.0.0.4/32']);
    expect(ips({ stream: stream('s1', 'c1', 't1') })).to.deep.equal(['10.0.0.1/32']);
    expect(ips({ stream: stream('', 'c1', 't1') })).to.deep.equal(['10.0.0.1/32', '10.0.0.2/32']);
    expect(ips({ stream: stream('s1', '', 't1') })).to.deep.equal(['10.0.0.1/32', '10.0.0.3/32']);
    expect(ips({ stream: stream('s1', 'c1', '') })).to.deep.equal(['10.0.0.1/32', '10.0.0.4/32']);
    expect(ips({ stream: { name: 's1', maxTargets: 0 } })).to.deep.equal(['10.0.0.1/32', '10.0.0.3/32', '10.0.0.4/32']);
    expect(ips({ stream: { name: '', maxTargets: 0, conduit: { name: 'c2', destinationPortNats: [] } } })).to.deep.equal(['10.0.0.3/32']);
    expect(ips({ stream: stream('nope') })).to.deep.equal([]);
  });

  it('hands out copies: a caller cannot change what the NSP holds', () => {
    const nsp = new NspModel();
    const mine = target(['172.16.0.2/24']);
    nsp.register(mine, 0);
    mine.ips.push('x');
    mine.context['identifier'] = '9';
    const seen = nsp.targets(ANY)[0]!;
    seen.status = 'ENABLED';
    seen.stream!.name = 'other';
    nsp.allTargets()[0]!.ips.length = 0;
    nsp.entries()[0]!.target.ips.length = 0;
    expect(nsp.allTargets()).to.deep.equal([target(['172.16.0.2/24'], 'DISABLED')]);
  });

  it('tells its listeners the trench after register, unregister, expiry and restart, never after a no-op', () => {
    const nsp = new NspModel();
    const heard: string[] = [];
    nsp.onTargetsChange((t) => heard.push(t));
    const a = nsp.register(target(['10.0.0.1/32'], 'DISABLED', '1', stream('s', 'c', 't1')), 0);
    nsp.register(target(['10.0.0.1/32'], 'DISABLED', '1', stream('s', 'c', 't1')), 1);
    const b = nsp.register(target(['10.0.0.2/32'], 'DISABLED', '1', stream('s', 'c', 't2')), 0);
    expect(heard).to.deep.equal(['t1', 't1', 't2']);
    nsp.unregister(target(['10.0.0.9/32']));
    nsp.expire(a.key, a.generation);
    expect(heard).to.have.length(3);
    nsp.restart('reload', 5);
    expect(heard.slice(3)).to.deep.equal(['t1', 't2']);
    nsp.expire(b.key, b.generation);
    expect(heard).to.have.length(5);
    nsp.unregister(target(['10.0.0.2/32'], 'DISABLED', '1', stream('s', 'c', 't2')));
    expect(heard.slice(5)).to.deep.equal(['t2']);
    const c = nsp.register(target(['10.0.0.3/32'], 'DISABLED', '1', stream('s', 'c', 't3')), 0);
    nsp.expire(c.key, c.generation);
    expect(heard.slice(6)).to.deep.equal(['t3', 't3']);
    nsp.register(target(['10.0.0.4/32'], 'DISABLED', '1', stream('s', 'c', 't4')), 0);
    nsp.restart('wipe', 0);
    // t1 is still there: its first arming was stale, and reload kept it.
    expect(heard.slice(8)).to.deep.equal(['t4', 't1', 't4']);
    nsp.restart('wipe', 0);
    expect(heard).to.have.length(11);
  });
});

describe('sim/world nsp: faults', () => {
  it('restart reload keeps every entry and re-arms it: the old generations no longer expire anything', () => {
    const nsp = new NspModel({ entryTimeoutMs: 100 });
    const before = [nsp.register(target(['10.0.0.1/32']), 0), nsp.register(target(['10.0.0.2/32']), 10)];
    nsp.register(target(['10.0.0.2/32']), 20);
    const kept = nsp.allTargets();
    const armings = nsp.restart('reload', 50);
    expect(armings.map((a) => a.key)).to.deep.equal(before.map((a) => a.key));
    expect(nsp.allTargets()).to.deep.equal(kept);
    expect(nsp.entries().map((e) => e.expiresAt)).to.deep.equal([150, 150]);
    for (const a of before) expect(nsp.expire(a.key, a.generation)).to.equal(false);
    expect(nsp.allTargets()).to.have.length(2);
    for (const a of armings) expect(nsp.expire(a.key, a.generation)).to.equal(true);
    expect(nsp.allTargets()).to.deep.equal([]);
  });

  it('restart wipe forgets every target, so the next register is new again (DISABLED), but keeps the configuration', () => {
    const nsp = new NspModel();
    nsp.configure('trench-a', CONFIG);
    const a = nsp.register(target(['10.0.0.1/32']), 0);
    nsp.register(target(['10.0.0.1/32']), 0);
    expect(nsp.restart('wipe', 0)).to.deep.equal([]);
    expect(nsp.allTargets()).to.deep.equal([]);
    nsp.register(target(['10.0.0.1/32'], 'ENABLED'), 1);
    expect(nsp.allTargets().map((t) => t.status)).to.deep.equal(['DISABLED']);
    expect(nsp.expire(a.key, a.generation)).to.equal(false);
    expect(nsp.streams('trench-a', 'conduit-a')).to.have.length(2);
  });

  it('while unavailable, every registry call throws NspUnavailable and changes nothing', () => {
    const nsp = new NspModel();
    nsp.configure('trench-a', CONFIG);
    nsp.register(target(['10.0.0.1/32']), 0);
    const heard: string[] = [];
    nsp.onTargetsChange((t) => heard.push(t));
    nsp.available = false;
    expect(() => nsp.assertAvailable()).to.throw(NspUnavailable);
    expect(() => nsp.register(target(['10.0.0.2/32']), 0)).to.throw(NspUnavailable);
    expect(() => nsp.unregister(target(['10.0.0.1/32']))).to.throw(NspUnavailable);
    expect(() => nsp.targets(ANY)).to.throw(NspUnavailable);
    expect(heard).to.deep.equal([]);
    // Checkers still see the truth.
    expect(nsp.allTargets()).to.have.length(1);
    expect(nsp.streams('trench-a', 'conduit-a')).to.have.length(2);
    nsp.available = true;
    expect(() => nsp.assertAvailable()).to.not.throw();
    expect(nsp.targets(ANY)).to.have.length(1);
  });

  it('NspUnavailable is an Error with its own name', () => {
    const e = new NspUnavailable();
    expect(e).to.be.instanceOf(Error);
    expect(e.name).to.equal('NspUnavailable');
  });

  it('rejects a timeout that is not positive and a time that is not finite', () => {
    expect(() => new NspModel({ entryTimeoutMs: 0 })).to.throw(RangeError);
    expect(() => new NspModel({ entryTimeoutMs: Infinity })).to.throw(RangeError);
    expect(new NspModel().entryTimeoutMs).to.equal(60_000);
    expect(() => new NspModel().register(target(['10.0.0.1/32']), NaN)).to.throw(RangeError);
    expect(() => new NspModel().restart('reload', Infinity)).to.throw(RangeError);
  });
});

type Op =
  | { kind: 'register'; ips: string[]; status: Status; identifier: string }
  | { kind: 'unregister'; ips: string[] }
  | { kind: 'expire'; pick: number }
  | { kind: 'restart'; mode: 'reload' | 'wipe' };

const ipsArb = fc
  .subarray(['10.0.0.1/32', '10.0.0.2/32', 'fd00::1/128'], { minLength: 1 })
  .chain((ips) => fc.shuffledSubarray(ips, { minLength: ips.length }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('register' as const),
      ips: ipsArb,
      status: fc.constantFrom<Status>('ENABLED', 'DISABLED', 'ANY'),
      identifier: fc.constantFrom('1', '2'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unregister' as const), ips: ipsArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), mode: fc.constantFrom<'reload' | 'wipe'>('reload', 'wipe') }),
  },
);

describe('sim/world nsp: properties', () => {
  it('never holds two entries with one key, never creates an ENABLED entry, and agrees with a plain map', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const nsp = new NspModel({ entryTimeoutMs: 10 });
        // Every arming ever handed out, current or stale: the world may fire any of them.
        const armings: { key: string; generation: number }[] = [];
        const reference = new Map<string, { status: Status; identifier: string; generation: number }>();
        let now = 0;
        for (const op of ops) {
          now++;
          switch (op.kind) {
            case 'register': {
              const t = target(op.ips, op.status, op.identifier);
              const a = nsp.register(t, now);
              armings.push(a);
              const known = reference.has(a.key);
              reference.set(a.key, { status: known ? op.status : 'DISABLED', identifier: op.identifier, generation: a.generation });
              break;
            }
            case 'unregister':
              nsp.unregister(target(op.ips));
              reference.delete(targetKey(target(op.ips)));
              break;
            case 'expire': {
              const a = armings[op.pick % Math.max(1, armings.length)];
              if (!a) break;
              const current = reference.get(a.key)?.generation === a.generation;
              expect(nsp.expire(a.key, a.generation)).to.equal(current);
              if (current) reference.delete(a.key);
              break;
            }
            case 'restart':
              if (op.mode === 'wipe') reference.clear();
              for (const a of nsp.restart(op.mode, now)) {
                armings.push(a);
                reference.get(a.key)!.generation = a.generation;
              }
              break;
          }
          const entries = nsp.entries();
          expect(new Set(entries.map((e) => e.key)).size).to.equal(entries.length);
          expect(entries.map((e) => [e.key, e.target.status, e.target.context['identifier'], e.generation])).to.deep.equal(
            [...reference].map(([k, r]) => [k, r.status, r.identifier, r.generation]),
          );
          for (const e of entries) expect(e.key).to.equal(targetKey(e.target));
        }
      }),
      { numRuns: 300 },
    );
  });
});
