import { expect } from 'chai';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plan, record, runSeed, type Bucket } from '../../../src/sim/explore/hunt.js';
import { counterexampleText, merge, MergeError, readShards } from '../../../src/sim/explore/merge.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { shardFile, type Shard } from '../../../src/sim/explore/shard.js';
import { huntSummary, type HuntFacts, type HuntIdentity } from '../../../src/sim/explore/summary.js';
import { scratchDir } from '../../support/scratch.js';

const model = MODELS.get('broken:keeps-old-target')!;
const HUNT: HuntIdentity = {
  model: model.name,
  strategy: 'random',
  seed: 1,
  depth: 3,
  lockdep: false,
  planned: 50,
  maxFailures: 1,
  ignore: [],
  modelHash: null,
};
const KEEP_GOING: HuntIdentity = { ...HUNT, maxFailures: null };

/** The trace a hunt writes for its run `run` (not shrunk: merge copies it, whatever it is). */
function traceOf(hunt: HuntIdentity, run: number): string {
  const seed = runSeed(hunt.seed, run);
  const { scenario, strategy } = plan({ strategy: 'random' }, seed);
  return JSON.stringify(record(model, scenario, strategy, seed));
}

/** What `hunt --shard --out dir` leaves; its counterexamples recorded under another directory, as on another machine. */
function writeShard(dir: string, shard: Shard, result: HuntFacts, hunt: HuntIdentity = HUNT): void {
  mkdirSync(dir, { recursive: true });
  const written = new Map<string, string>();
  for (const [i, b] of result.buckets.entries()) {
    const name = shardFile(hunt.maxFailures === 1 ? 'counterexample' : `bucket-${i}`, shard);
    written.set(b.signature, join('/elsewhere', name));
    writeFileSync(join(dir, name), traceOf(hunt, b.run));
  }
  writeFileSync(join(dir, shardFile('summary', shard)), JSON.stringify(huntSummary(hunt, shard, result, written)));
}

/** A bucket of one failing run. */
const only = (signature: string, run: number, steps = 3): Omit<Bucket, 'trace'> => ({
  signature,
  kind: 'invariant',
  count: 1,
  firstRun: run,
  run,
  original: { steps, choices: 100 },
});
const found = (runs: number, ...buckets: Omit<Bucket, 'trace'>[]): HuntFacts => ({ runs, ignored: 0, buckets });

const FOUND_42 = found(15, only('invariant: a', 42));
const CLEAN = found(17);
const FOUND_5 = found(2, only('invariant: b', 5));

/** Shards 0 and 1 of 3 in one directory, shard 2 in another. */
function threeShards(): { a: string; b: string } {
  const root = scratchDir('tapa-merge-');
  const [a, b] = [join(root, 'a'), join(root, 'b')];
  writeShard(a, { index: 0, count: 3 }, FOUND_42);
  writeShard(a, { index: 1, count: 3 }, CLEAN);
  writeShard(b, { index: 2, count: 3 }, FOUND_5);
  return { a, b };
}

function mergeDirs(dirs: string[]): { merged: ReturnType<typeof merge>; trace: string | undefined } {
  const merged = merge(readShards(dirs));
  return { merged, trace: merged.buckets[0] && counterexampleText(merged.buckets[0]) };
}

function refused(dirs: string[], message: RegExp, what = ''): void {
  let error: unknown;
  try {
    mergeDirs(dirs);
  } catch (e) {
    error = e;
  }
  expect(error, what).to.be.instanceOf(MergeError);
  expect((error as Error).message, what)
    .to.match(message)
    .and.not.contain('\n');
}

describe('sim: merging the shards of a hunt', () => {
  it('keeps the failure of lowest run index, whatever the order of the directories, and its trace unchanged', () => {
    const { a, b } = threeShards();
    for (const dirs of [
      [a, b],
      [b, a],
    ]) {
      const { merged, trace } = mergeDirs(dirs);
      expect(merged).to.deep.include({ ...HUNT, shards: 3, runs: 34 });
      expect(merged.stopped).to.deep.equal([]);
      expect(merged.buckets).to.have.length(1);
      expect(merged.buckets[0]).to.include({ run: 5, signature: 'invariant: b', counterexample: join(b, 'counterexample-2-of-3.json') });
      expect(trace).to.equal(traceOf(HUNT, 5));
    }
  });

  it('with nothing found, names the shards that stopped before their last run', () => {
    const dir = scratchDir('tapa-merge-');
    writeShard(dir, { index: 0, count: 2 }, found(25));
    writeShard(dir, { index: 1, count: 2 }, found(10));
    const { merged, trace } = mergeDirs([dir]);
    expect(merged).to.include({ runs: 35 });
    expect(merged.buckets).to.deep.equal([]);
    expect(merged.stopped).to.deep.equal([1]);
    expect(trace).to.equal(undefined);
  });

  it('refuses a missing shard, a shard twice, and shards of different hunts, in one line', () => {
    const { a, b } = threeShards();
    refused([a], /missing 1 of 3 shards: 2$/);
    refused([a, b, b], /shard 2\/3 twice: .*b\/summary-2-of-3\.json and .*b\/summary-2-of-3\.json/);
    const other = scratchDir('tapa-merge-');
    writeShard(other, { index: 2, count: 3 }, FOUND_5, { ...HUNT, seed: 2 });
    refused([a, other], /summary-2-of-3\.json: not the same hunt as .*summary-0-of-3\.json: seed 2, not 1/);
    const four = scratchDir('tapa-merge-');
    writeShard(four, { index: 2, count: 4 }, found(12));
    refused([a, four], /not the same hunt .*: 4 shards, not 3/);
    const going = scratchDir('tapa-merge-');
    writeShard(going, { index: 2, count: 3 }, FOUND_5, KEEP_GOING);
    refused([a, going], /not the same hunt .*: maxFailures null, not 1/);
    const ignoring = scratchDir('tapa-merge-');
    writeShard(ignoring, { index: 2, count: 3 }, FOUND_5, { ...HUNT, ignore: ['hang: -'] });
    refused([a, ignoring], /not the same hunt .*: ignore \["hang: -"\], not \[\]/);
  });

  it('keeps going: one bucket per signature over the shards, counts added, the smallest run kept (steps, choices, run index)', () => {
    const dir = scratchDir('tapa-merge-');
    const many = (signature: string, count: number, firstRun: number, run: number, steps: number): Omit<Bucket, 'trace'> => ({
      ...only(signature, run, steps),
      count,
      firstRun,
    });
    writeShard(dir, { index: 0, count: 2 }, found(25, many('invariant: a', 3, 4, 10, 2), many('hang: -', 1, 30, 30, 1)), KEEP_GOING);
    writeShard(dir, { index: 1, count: 2 }, found(25, many('invariant: a', 2, 1, 5, 2), many('deadlock: x', 4, 9, 9, 7)), KEEP_GOING);
    const { merged } = mergeDirs([dir]);
    expect(merged.buckets.map(({ signature, count, firstRun, run }) => ({ signature, count, firstRun, run }))).to.deep.equal([
      { signature: 'invariant: a', count: 5, firstRun: 1, run: 5 },
      { signature: 'deadlock: x', count: 4, firstRun: 9, run: 9 },
      { signature: 'hang: -', count: 1, firstRun: 30, run: 30 },
    ]);
    expect(counterexampleText(merged.buckets[0]!)).to.equal(traceOf(KEEP_GOING, 5));
  });

  it('refuses malformed summaries and counterexamples, naming the file, in one line', () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['not JSON', (dir) => writeFileSync(join(dir, 'summary-2-of-3.json'), '{"model": '), /summary-2-of-3\.json: not JSON/],
      [
        'a field missing',
        (dir) => writeFileSync(join(dir, 'summary-2-of-3.json'), '{"shard": {"index": 2, "count": 3}}'),
        /summary-2-of-3\.json: model: expected a string/,
      ],
      [
        'more runs than the shard has',
        (dir) => writeShard(dir, { index: 2, count: 3 }, found(17)),
        /runs: expected an integer in \[0, 16\]/,
      ],
      [
        'a failing run that is not the last one explored',
        (dir) => writeShard(dir, { index: 2, count: 3 }, { ...FOUND_5, runs: 3 }),
        /buckets\[0\]\.run: expected 8, the last run explored/,
      ],
      [
        'its counterexample gone',
        (dir) => {
          writeShard(dir, { index: 2, count: 3 }, FOUND_5);
          unlinkSync(join(dir, 'counterexample-2-of-3.json'));
        },
        /counterexample-2-of-3\.json: cannot read/,
      ],
      [
        'its counterexample not a trace',
        (dir) => {
          writeShard(dir, { index: 2, count: 3 }, FOUND_5);
          writeFileSync(join(dir, 'counterexample-2-of-3.json'), '[]');
        },
        /counterexample-2-of-3\.json: trace: expected an object/,
      ],
      [
        'the counterexample of another run',
        (dir) => {
          writeShard(dir, { index: 2, count: 3 }, FOUND_5);
          writeFileSync(join(dir, 'counterexample-2-of-3.json'), traceOf(HUNT, 8));
        },
        /counterexample-2-of-3\.json: not the counterexample of .*summary-2-of-3\.json/,
      ],
      ['no summary at all', () => undefined, /: no summary-I-of-N\.json/],
    ];
    const { a } = threeShards();
    for (const [what, write, message] of cases) {
      const dir = scratchDir('tapa-merge-');
      write(dir);
      refused([a, dir], message, what);
    }
  });
});
