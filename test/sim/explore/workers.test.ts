import { expect } from 'chai';
import { hunt, type HuntOptions } from '../../../src/sim/explore/hunt.js';
import { readFileSync } from 'node:fs';
import { parseProfile } from '../../../src/sim/goroutine/index.js';
import { reproduce, reproduceOnWorkers, type ReproduceResult } from '../../../src/sim/explore/reproduce.js';
import { huntOnWorkers } from '../../../src/sim/explore/workers.js';
import { MODELS } from '../../../src/sim/models/index.js';

const options = (modelSpec: string, runs: number, maxFailures: number): HuntOptions & { modelSpec: string } => ({
  model: MODELS.get(modelSpec)!,
  modelSpec,
  strategy: 'portfolio',
  runs,
  seed: 1,
  maxFailures,
});

describe('sim: a hunt on worker threads', function () {
  this.timeout(120_000);

  for (const [spec, runs, maxFailures] of [
    ['broken:keeps-old-target', 60, 1],
    ['legacy-v1.1.4', 80, Infinity],
    ['core', 60, 1],
  ] as const) {
    it(`${spec}, ${runs} runs, up to ${maxFailures} signatures: 2 and 3 workers give the result of one thread, counterexamples and all`, async () => {
      const o = options(spec, runs, maxFailures);
      const alone = hunt(o);
      for (const workers of [2, 3]) expect(await huntOnWorkers({ ...o, workers }), `${workers} workers`).to.deep.equal(alone);
    });
  }

  it('a shard on workers explores the runs of that shard only, as one thread does', async () => {
    const o = { ...options('broken:keeps-old-target', 60, 1), shard: { index: 1, count: 2 } };
    expect(await huntOnWorkers({ ...o, workers: 2 })).to.deep.equal(hunt(o));
  });

  describe('reproduce on worker threads', () => {
    const profile = parseProfile(readFileSync(new URL('../../fixtures/pprof-578.txt', import.meta.url), 'utf8'));
    const timeless = (r: ReproduceResult): object => (r.found ? { ...r, elapsedMs: 0 } : r);

    // A match shrinks for seconds, so the search that finds one (after 27 tries, over two chunks) runs on 2 workers only.
    for (const [spec, maxRuns, counts] of [
      ['legacy-v1.1.4', 400, [2]],
      ['core', 40, [2, 3]],
    ] as const) {
      it(`${spec}, up to ${maxRuns} tries: ${counts.join(' and ')} workers give the result of one thread, same tries, same trace`, async () => {
        const o = { profile, model: MODELS.get(spec)!, modelSpec: spec, seed: 2, timeLimitMs: 600_000, maxRuns };
        const alone = reproduce(o);
        expect(alone.found).to.equal(spec !== 'core');
        for (const workers of counts)
          expect(timeless(await reproduceOnWorkers({ ...o, workers })), `${workers} workers`).to.deep.equal(timeless(alone));
      });
    }
  });
});
