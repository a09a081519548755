import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MODELS } from '../models/index.js';
import { shardSize } from './shard.js';
import { parseSummary, type HuntIdentity, type HuntSummary } from './summary.js';
import { parseTrace, TraceError } from './trace.js';

/** Shards that cannot be merged: one line naming the file and what is wrong with it. */
export class MergeError extends Error {}

/** A shard's summary and the file it was read from. */
export interface ShardFile {
  readonly file: string;
  readonly summary: HuntSummary;
}

/** A shard's failure, with where its trace is now (the summary records where it was written). */
export interface ShardFailure extends ShardFile {
  readonly run: number;
  readonly counterexample: string;
}

/** The hunt put back together from its shards. */
export interface MergedHunt extends HuntIdentity {
  readonly shards: number;
  /** Runs explored, over all shards. */
  readonly runs: number;
  /** Shards that stopped at a time limit, without a failure, before their last run. */
  readonly stopped: readonly number[];
  /** The failure of lowest run index: the one the unsharded hunt finds. */
  readonly first?: ShardFailure;
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
const IDENTITY: Record<keyof HuntIdentity, true> = { model: true, strategy: true, seed: true, depth: true, lockdep: true, planned: true };

function difference(a: HuntSummary, b: HuntSummary): string | undefined {
  for (const key of Object.keys(IDENTITY) as (keyof HuntIdentity)[]) {
    if (a[key] !== b[key]) return `${key} ${JSON.stringify(b[key])}, not ${JSON.stringify(a[key])}`;
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
  const failures = shards
    .flatMap(({ file, summary }): ShardFailure[] =>
      summary.run === undefined || summary.counterexample === undefined
        ? []
        : [{ file, summary, run: summary.run, counterexample: join(dirname(file), basename(summary.counterexample)) }],
    )
    .sort((a, b) => a.run - b.run);
  const { model, strategy, seed, depth, lockdep, planned } = head.summary;
  return {
    model,
    strategy,
    seed,
    depth,
    lockdep,
    planned,
    shards: count,
    runs: shards.reduce((n, s) => n + s.summary.runs, 0),
    stopped: shards
      .filter((s) => !s.summary.found && s.summary.runs < shardSize(planned, s.summary.shard))
      .map((s) => s.summary.shard.index)
      .sort((a, b) => a - b),
    ...(failures[0] ? { first: failures[0] } : {}),
  };
}

/** The failure's trace, checked to be the run its summary names, as text to copy unchanged. */
export function counterexampleText(failure: ShardFailure): string {
  const file = failure.counterexample;
  const { text, trace } = parsed(file, (t) => ({ text: t, trace: parseTrace(t, [...MODELS.keys()]) }));
  const { model, runSeed } = failure.summary;
  if (trace.model !== model || trace.seed !== runSeed) {
    throw new MergeError(
      `${file}: not the counterexample of ${failure.file} (model ${trace.model}, seed ${trace.seed}; expected ${model}, seed ${runSeed})`,
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
