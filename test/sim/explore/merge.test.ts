import { expect } from 'chai';
import { mkdirSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plan, record, runSeed, type HuntResult } from '../../../src/sim/explore/hunt.js';
import { counterexampleText, merge, MergeError, readShards } from '../../../src/sim/explore/merge.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { shardFile, type Shard } from '../../../src/sim/explore/shard.js';
import { huntSummary, type HuntIdentity } from '../../../src/sim/explore/summary.js';

const model = MODELS.get('broken:keeps-old-target')!;
const HUNT: HuntIdentity = { model: model.name, strategy: 'random', seed: 1, depth: 3, lockdep: false, planned: 50 };

/** The trace a hunt writes for its run `run` (not shrunk: merge copies it, whatever it is). */
function traceOf(hunt: HuntIdentity, run: number): string {
  const seed = runSeed(hunt.seed, run);
  const { scenario, strategy } = plan({ strategy: 'random' }, seed);
  return JSON.stringify(record(model, scenario, strategy, seed));
}

/** What `hunt --shard --out dir` leaves; its counterexample recorded under another directory, as on another machine. */
function writeShard(dir: string, shard: Shard, result: HuntResult, hunt: HuntIdentity = HUNT): void {
  mkdirSync(dir, { recursive: true });
  let written: string | undefined;
  if (result.run !== undefined) {
    written = join('/elsewhere', shardFile('counterexample', shard));
    writeFileSync(join(dir, shardFile('counterexample', shard)), traceOf(hunt, result.run));
  }
  writeFileSync(join(dir, shardFile('summary', shard)), JSON.stringify(huntSummary(hunt, shard, result, written)));
}

const FOUND_42: HuntResult = { runs: 15, found: true, run: 42, kind: 'invariant' };
const CLEAN: HuntResult = { runs: 17, found: false };
const FOUND_5: HuntResult = { runs: 2, found: true, run: 5, kind: 'invariant' };

/** Shards 0 and 1 of 3 in one directory, shard 2 in another. */
function threeShards(): { a: string; b: string } {
  const root = mkdtempSync(join(tmpdir(), 'tapa-merge-'));
  const [a, b] = [join(root, 'a'), join(root, 'b')];
  writeShard(a, { index: 0, count: 3 }, FOUND_42);
  writeShard(a, { index: 1, count: 3 }, CLEAN);
  writeShard(b, { index: 2, count: 3 }, FOUND_5);
  return { a, b };
}

function mergeDirs(dirs: string[]): { merged: ReturnType<typeof merge>; trace: string | undefined } {
  const merged = merge(readShards(dirs));
  return { merged, trace: merged.first && counterexampleText(merged.first) };
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
      expect(merged).to.include({ ...HUNT, shards: 3, runs: 34 });
      expect(merged.stopped).to.deep.equal([]);
      expect(merged.first).to.include({ run: 5, counterexample: join(b, 'counterexample-2-of-3.json') });
      expect(trace).to.equal(traceOf(HUNT, 5));
    }
  });

  it('with nothing found, names the shards that stopped before their last run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapa-merge-'));
    writeShard(dir, { index: 0, count: 2 }, { runs: 25, found: false });
    writeShard(dir, { index: 1, count: 2 }, { runs: 10, found: false });
    const { merged, trace } = mergeDirs([dir]);
    expect(merged).to.include({ runs: 35 });
    expect(merged.first).to.equal(undefined);
    expect(merged.stopped).to.deep.equal([1]);
    expect(trace).to.equal(undefined);
  });

  it('refuses a missing shard, a shard twice, and shards of different hunts, in one line', () => {
    const { a, b } = threeShards();
    refused([a], /missing 1 of 3 shards: 2$/);
    refused([a, b, b], /shard 2\/3 twice: .*b\/summary-2-of-3\.json and .*b\/summary-2-of-3\.json/);
    const other = mkdtempSync(join(tmpdir(), 'tapa-merge-'));
    writeShard(other, { index: 2, count: 3 }, FOUND_5, { ...HUNT, seed: 2 });
    refused([a, other], /summary-2-of-3\.json: not the same hunt as .*summary-0-of-3\.json: seed 2, not 1/);
    const four = mkdtempSync(join(tmpdir(), 'tapa-merge-'));
    writeShard(four, { index: 2, count: 4 }, { runs: 12, found: false });
    refused([a, four], /not the same hunt .*: 4 shards, not 3/);
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
        (dir) => writeShard(dir, { index: 2, count: 3 }, { runs: 17, found: false }),
        /runs: expected an integer in \[0, 16\]/,
      ],
      [
        'a failing run that is not the last one explored',
        (dir) => writeShard(dir, { index: 2, count: 3 }, { ...FOUND_5, runs: 3 }),
        /run: expected 8, the last run explored/,
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
      const dir = mkdtempSync(join(tmpdir(), 'tapa-merge-'));
      write(dir);
      refused([a, dir], message, what);
    }
  });
});
