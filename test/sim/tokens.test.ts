import { expect } from 'chai';
import { hunt, plan, runSeed } from '../../src/sim/explore/hunt.js';
import { MODELS } from '../../src/sim/models/index.js';
import { runScenario } from '../../src/sim/harness/run.js';

const nsmRequests = (log: readonly unknown[]): number => log.filter((e) => JSON.stringify(e).includes('NSM Request')).length;

describe('sim: the core with expiring NSM tokens (core:tokens)', function () {
  this.timeout(120_000);

  it('refreshes: the same scenarios and schedules make many more NSM Requests than without expiry', () => {
    let plain = 0;
    let refreshing = 0;
    for (let i = 0; i < 20; i++) {
      const seed = runSeed(5, i);
      const { scenario, strategy } = plan({ strategy: 'random' }, seed);
      plain += nsmRequests(runScenario(scenario, { model: MODELS.get('core')!, strategy, seed }).log);
      refreshing += nsmRequests(runScenario(scenario, { model: MODELS.get('core:tokens')!, strategy, seed }).log);
    }
    expect(refreshing).to.be.above(3 * plain);
  });

  for (const strategy of ['random', 'pct', 'choices'] as const) {
    it(`refreshes interleaved with everything else break nothing (${strategy}, 500 runs)`, () => {
      const r = hunt({ model: MODELS.get('core:tokens')!, strategy, runs: 500, seed: 11 });
      expect(r.found ? `${r.kind} in run ${r.run}` : 'nothing').to.equal('nothing');
    });
  }
});
