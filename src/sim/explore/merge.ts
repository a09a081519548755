import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MODELS } from '../models/index.js';
import { shardSize } from './shard.js';
import { smaller } from './bucket.js';
import { parseSummary, type BucketSummary, type HuntIdentity, type HuntSummary } from './summary.js';
import { parseTrace, TraceError } from './trace.js';

/** Shards that cannot be merged: one line naming the file and what is wrong with it. */
export class MergeError extends Error {}

/** A shard's summary and the file it was read from. */
export interface ShardFile {
  readonly file: string;
  readonly summary: HuntSummary;
}

/** A bucket of the merged hunt: the kept run's shard, and where its trace is now (the summary records where it was written). */
export interface MergedBucket extends BucketSummary {
  /** The summary of the shard whose run is kept. */
  readonly file: string;
  readonly summary: HuntSummary;
}

/** The hunt put back together from its shards. */
export interface MergedHunt extends HuntIdentity {
  readonly shards: number;
  /** Runs explored, over all shards. */
  readonly runs: number;
  /** Failing runs passed over for an ignored signature, over all shards. */
  readonly ignored: number;
  /** Shards that stopped at a time limit before their last run and their failure budget. */
  readonly stopped: readonly number[];
  /** The buckets one process finds, in the order it finds them. */
  readonly buckets: readonly MergedBucket[];
}

const SUMMARY = /^summary-[0-9]+-of-[0-9]+\.json$/;

/** Every shard summary in the given directories (several shards may share one). */
export function readShards(dirs: readonly string[]): ShardFile[] {
  return dirs.flatMap((dir) => {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => SUMMARY.test(n))
        .sort();
    } catch (e) {
      throw new MergeError(`${dir}: cannot read: ${(e as Error).message}`);
    }
    if (names.length === 0) throw new MergeError(`${dir}: no summary-I-of-N.json, as written by hunt --shard I/N --out ${dir}`);
    return names.map((name) => {
      const file = join(dir, name);
      return { file, summary: parsed(file, parseSummary) };
    });
  });
}

// Keys, not a list, so that a field added to HuntIdentity cannot be forgotten here.
const IDENTITY: Record<keyof HuntIdentity, true> = {
  model: true,
  strategy: true,
  seed: true,
  depth: true,
  lockdep: true,
  planned: true,
  maxFailures: true,
  ignore: true,
  modelHash: true,
};

function difference(a: HuntSummary, b: HuntSummary): string | undefined {
  for (const key of Object.keys(IDENTITY) as (keyof HuntIdentity)[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `${key} ${JSON.stringify(b[key])}, not ${JSON.stringify(a[key])}`;
  }
  return a.shard.count === b.shard.count ? undefined : `${b.shard.count} shards, not ${a.shard.count}`;
}

/** Checks that the shards are exactly the parts of one hunt, and puts them together. */
export function merge(shards: readonly ShardFile[]): MergedHunt {
  const [head] = shards;
  if (!head) throw new MergeError('no shards to merge');
  const count = head.summary.shard.count;
  const byIndex = new Map<number, ShardFile>();
  for (const s of shards) {
    const diff = difference(head.summary, s.summary);
    if (diff) throw new MergeError(`${s.file}: not the same hunt as ${head.file}: ${diff}`);
    const { index } = s.summary.shard;
    const other = byIndex.get(index);
    if (other) throw new MergeError(`shard ${index}/${count} twice: ${other.file} and ${s.file}`);
    byIndex.set(index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new MergeError(`missing ${missing.length} of ${count} shards: ${abbreviated(missing)}`);
  const { model, strategy, seed, depth, lockdep, planned, maxFailures, ignore, modelHash } = head.summary;
  return {
    model,
    strategy,
    seed,
    depth,
    lockdep,
    planned,
    maxFailures,
    ignore,
    modelHash,
    shards: count,
    runs: shards.reduce((n, s) => n + s.summary.runs, 0),
    ignored: shards.reduce((n, s) => n + s.summary.ignored, 0),
    stopped: shards
      .filter((s) => s.summary.runs < shardSize(planned, s.summary.shard) && s.summary.buckets.length < (maxFailures ?? Infinity))
      .map((s) => s.summary.shard.index)
      .sort((a, b) => a - b),
    buckets: mergeBuckets(shards, maxFailures ?? Infinity),
  };
}

/**
 * The buckets of one process from those of its shards: per signature the counts add up,
 * the first run is the lowest and the kept run the smallest (`smaller`, a minimum over
 * runs, so that the union of the shards keeps what one process keeps). With a failure
 * budget of N, one process stops at the run that completes its N-th signature; every
 * shard explored at least that far (it stops at its own N-th signature, which cannot come
 * earlier), so the N signatures first found lowest are exactly those of one process. Past
 * a budget of 1, their counts and kept runs may include runs one process did not reach.
 */
function mergeBuckets(shards: readonly ShardFile[], maxFailures: number): MergedBucket[] {
  const merged = new Map<string, MergedBucket>();
  for (const { file, summary } of shards) {
    for (const b of summary.buckets) {
      const here: MergedBucket = { ...b, counterexample: join(dirname(file), basename(b.counterexample)), file, summary };
      const seen = merged.get(b.signature);
      if (!seen) {
        merged.set(b.signature, here);
        continue;
      }
      const kept = smaller({ ...here.original, run: here.run }, { ...seen.original, run: seen.run }) ? here : seen;
      merged.set(b.signature, { ...kept, count: seen.count + b.count, firstRun: Math.min(seen.firstRun, b.firstRun) });
    }
  }
  return [...merged.values()].sort((a, b) => a.firstRun - b.firstRun).slice(0, maxFailures);
}

/** A bucket's trace, checked to be the run its summary names, as text to copy unchanged. */
export function counterexampleText(bucket: MergedBucket): string {
  const file = bucket.counterexample;
  const { text, trace } = parsed(file, (t) => ({ text: t, trace: parseTrace(t, [...MODELS.keys()]) }));
  const { model } = bucket.summary;
  const { runSeed } = bucket;
  if (trace.model !== model || trace.seed !== runSeed) {
    throw new MergeError(
      `${file}: not the counterexample of ${bucket.file} (model ${trace.model}, seed ${trace.seed}; expected ${model}, seed ${runSeed})`,
    );
  }
  return text;
}

function parsed<T>(file: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MergeError(`${file}: cannot read: ${(e as Error).message}`);
  }
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof TraceError) throw new MergeError(`${file}: ${e.message}`);
    throw e;
  }
}

/** A long list of shard indices, cut so that the message stays one readable line. */
function abbreviated(indices: readonly number[]): string {
  const shown = indices.slice(0, 10).join(', ');
  return indices.length > 10 ? `${shown}, ... (${indices.length - 10} more)` : shown;
}
