import { expect } from 'chai';
import { hunt, type HuntOptions } from '../../../src/sim/explore/hunt.js';
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
});
