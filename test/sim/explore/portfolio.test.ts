import { expect } from 'chai';
import { plan, runSeed } from '../../../src/sim/explore/hunt.js';
import { PORTFOLIO } from '../../../src/sim/explore/portfolio.js';

describe('the portfolio strategy', () => {
  it('rotates: any eight consecutive runs of a hunt explore each entry of the portfolio once', () => {
    for (const seed of [0, 1, 7, 0xffffffff]) {
      for (const from of [0, 5, 1_000_003]) {
        const picked = Array.from({ length: PORTFOLIO.length }, (_, k) => {
          const s = plan({ strategy: 'portfolio' }, runSeed(seed, from + k)).strategy;
          return s.kind === 'pct' ? `pct/${s.depth}` : s.kind;
        });
        const expected = PORTFOLIO.map((e) => (e.strategy === 'pct' ? `pct/${e.depth}` : e.strategy));
        expect([...picked].sort(), `seed ${seed} from ${from}`).to.deep.equal([...expected].sort());
      }
    }
  });

  it("is a function of the run's seed, the concrete strategy seeded by it as the named strategies are", () => {
    const seed = runSeed(3, 41);
    const { strategy } = plan({ strategy: 'portfolio' }, seed);
    expect(plan({ strategy: 'portfolio' }, seed)).to.deep.equal(plan({ strategy: 'portfolio' }, seed));
    const named =
      strategy.kind === 'pct'
        ? plan({ strategy: 'pct', depth: strategy.depth! }, seed)
        : plan({ strategy: strategy.kind as 'random' | 'choices' }, seed);
    expect(strategy).to.deep.equal(named.strategy);
  });
});
