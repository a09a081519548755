import { expect } from 'chai';
import type { LatencyProfile } from '../../../src/sim/harness/scenario.js';
import { Latency } from '../../../src/sim/world/latency.js';

const PEERS = { nsp: 'nsp', nsm: 'nsm' } as const;
const NONE: LatencyProfile = { minMs: 0, spreadMs: 0, tailPermille: 0, tailMs: 0 };
const draws = (l: Latency, peer: string, n: number): number[] => Array.from({ length: n }, () => l.of(peer));

describe('sim/world latency', () => {
  it('is zero without a profile, and for a peer without one', () => {
    const l = new Latency(undefined, 1, PEERS);
    expect(draws(l, 'nsp', 5)).to.deep.equal([0, 0, 0, 0, 0]);
    expect(new Latency({ nsp: NONE, nsm: NONE }, 1, PEERS).of('tapa-1')).to.equal(0);
  });

  it('stays within the profile: at least the minimum, the tail only as often as asked', () => {
    const profile: LatencyProfile = { minMs: 1, spreadMs: 4, tailPermille: 20, tailMs: 800 };
    const all = draws(new Latency({ nsp: profile, nsm: NONE }, 7, PEERS), 'nsp', 10_000);
    expect(Math.min(...all)).to.equal(1);
    expect(Math.max(...all)).to.be.at.most(1 + 4 + 800);
    const slow = all.filter((d) => d > 5).length;
    expect(slow).to.be.within(100, 300);
  });

  it('draws the same times from the same seed, and each peer from its own generator', () => {
    const profile: LatencyProfile = { minMs: 1, spreadMs: 4, tailPermille: 50, tailMs: 800 };
    const profiles = { nsp: profile, nsm: profile };
    const a = new Latency(profiles, 42, PEERS);
    const b = new Latency(profiles, 42, PEERS);
    draws(b, 'nsm', 100);
    expect(draws(a, 'nsp', 50)).to.deep.equal(draws(b, 'nsp', 50));
    expect(draws(new Latency(profiles, 43, PEERS), 'nsp', 50)).to.not.deep.equal(draws(new Latency(profiles, 42, PEERS), 'nsp', 50));
  });
});
