import { expect } from 'chai';
import fc from 'fast-check';
import { smaller } from '../../../src/sim/explore/bucket.js';
import { hunt, runSeed, type HuntOptions } from '../../../src/sim/explore/hunt.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { parseShard, shardRuns, shardSize, WHOLE, type Shard } from '../../../src/sim/explore/shard.js';

const shardsOf = (count: number): Shard[] => Array.from({ length: count }, (_, index) => ({ index, count }));

/** The seeds of the runs a hunt explores, in order. */
function exploredSeeds(options: HuntOptions): number[] {
  const runs: number[] = [];
  hunt({ ...options, progress: (i) => runs.push(i) });
  return runs.map((i) => runSeed(options.seed, i));
}

describe('sim: shards of a hunt', () => {
  it('reads I/N with 0 <= I < N, and nothing else', () => {
    expect(parseShard('0/1')).to.deep.equal(WHOLE);
    expect(parseShard('3/4')).to.deep.equal({ index: 3, count: 4 });
    for (const bad of ['4/4', '0/0', '-1/4', '1', '1/4/2', 'a/4', '1 /4', '0/100001']) expect(parseShard(bad), bad).to.equal(undefined);
  });

  it('the shards of a hunt partition its run indices: each index in exactly one shard', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.integer({ min: 1, max: 40 }), (runs, count) => {
        const parts = shardsOf(count).map((s) => [...shardRuns(runs, s)]);
        parts.forEach((p, i) => expect(p).to.have.length(shardSize(runs, { index: i, count })));
        expect(parts.flat().sort((a, b) => a - b)).to.deep.equal([...shardRuns(runs, WHOLE)]);
      }),
    );
  });

  it('sharded hunts explore exactly the runs, with the same seeds, of the unsharded hunt', () => {
    const options = { model: MODELS.get('core')!, strategy: 'random', runs: 10, seed: 7 } as const;
    const whole = exploredSeeds(options);
    const shards = shardsOf(3).map((shard) => exploredSeeds({ ...options, shard }));
    expect(whole).to.have.length(10);
    expect(new Set(shards.flat()).size).to.equal(shards.flat().length);
    expect(shards.flat().sort((a, b) => a - b)).to.deep.equal([...whole].sort((a, b) => a - b));
  });

  it("the failure of lowest run index over the shards is the unsharded hunt's, with the same counterexample", () => {
    const options = { model: MODELS.get('broken:keeps-old-target')!, strategy: 'random', runs: 50, seed: 1 } as const;
    const whole = hunt(options);
    expect(whole).to.include({ found: true });
    const run = whole.run!;
    expect(whole.runs).to.equal(run + 1);
    const [first, ...others] = shardsOf(2)
      .map((shard) => hunt({ ...options, shard }))
      .sort((a, b) => (a.run ?? Infinity) - (b.run ?? Infinity));
    expect(first).to.include({ found: true, run, runs: Math.floor(run / 2) + 1 });
    expect(first!.trace).to.deep.equal(whole.trace);
    for (const o of others) expect(o.run ?? Infinity).to.be.greaterThan(run);
  });

  it('keeping going, the buckets of the shards are those of one process: signatures, counts, first runs and counterexamples', () => {
    const options = {
      model: MODELS.get('broken:keeps-old-target')!,
      strategy: 'random',
      runs: 60,
      seed: 1,
      maxFailures: Infinity,
    } as const;
    const whole = hunt(options);
    expect(whole.runs).to.equal(60);
    expect(whole.buckets.length).to.be.greaterThan(0);
    expect(whole.buckets.reduce((n, b) => n + b.count, 0)).to.be.greaterThan(whole.buckets.length);
    const parts = shardsOf(3).map((shard) => hunt({ ...options, shard }));
    const merged = new Map<string, { count: number; firstRun: number; kept: (typeof whole.buckets)[number] }>();
    for (const b of parts.flatMap((p) => p.buckets)) {
      const seen = merged.get(b.signature);
      const better = !seen || smaller({ ...b.original, run: b.run }, { ...seen.kept.original, run: seen.kept.run });
      merged.set(b.signature, {
        count: (seen?.count ?? 0) + b.count,
        firstRun: Math.min(seen?.firstRun ?? Infinity, b.firstRun),
        kept: better ? b : seen.kept,
      });
    }
    expect([...merged.keys()].sort()).to.deep.equal(whole.buckets.map((b) => b.signature).sort());
    for (const b of whole.buckets) {
      const m = merged.get(b.signature)!;
      expect({ count: m.count, firstRun: m.firstRun, run: m.kept.run }, b.signature).to.deep.equal({
        count: b.count,
        firstRun: b.firstRun,
        run: b.run,
      });
      expect(m.kept.trace, b.signature).to.deep.equal(b.trace);
    }
  });

  it('an ignored signature is passed over: the hunt goes on to the next failure, and counts what it passed', () => {
    const options = { model: MODELS.get('broken:keeps-old-target')!, strategy: 'random', runs: 60, seed: 1 } as const;
    const first = hunt(options);
    const past = hunt({ ...options, ignore: new Set([first.trace!.failure!.signature]) });
    expect(past.ignored).to.be.greaterThan(0);
    expect(past.buckets.map((b) => b.signature)).to.not.include(first.trace!.failure!.signature);
    if (past.found) expect(past.run).to.be.greaterThan(first.run!);
  });
});
