import { runSeed, type Bucket } from './hunt.js';
import type { FailureKind } from '../harness/run.js';
import { MAX_SHARDS, nthRun, shardSize, type Shard } from './shard.js';
import { array, boolean, FAILURE_KINDS, integer, object, string, TraceError } from './trace.js';
import type { Size } from './bucket.js';

/** What makes two shards parts of the same hunt: the command line apart from `--shard`. */
export interface HuntIdentity {
  readonly model: string;
  readonly strategy: string;
  readonly seed: number;
  readonly depth: number;
  readonly lockdep: boolean;
  /** The hunt's `--runs`, over all its shards. */
  readonly planned: number;
  /** Signatures to stop at: 1 by default, null with `--keep-going`. */
  readonly maxFailures: number | null;
  /** The signatures passed over (`--ignore`), sorted. */
  readonly ignore: readonly string[];
  /** Of a model loaded from a file: the SHA-256 of its content, so that shards ran the same model. */
  readonly modelHash: string | null;
}

/** Run indices first, first + step, ..., last. */
export interface Coverage {
  readonly first: number;
  readonly step: number;
  readonly last: number;
}

/** A bucket as a summary records it: where its trace was written instead of the trace. */
export interface BucketSummary extends Omit<Bucket, 'trace'> {
  readonly runSeed: number;
  /** The trace's path as written; `merge` looks for it next to the summary. */
  readonly counterexample: string;
}

/**
 * One shard's result, as `hunt --shard I/N --out DIR` writes it to DIR/summary-I-of-N.json
 * (and as the last line of `--json`): what `merge` needs to put the shards back together.
 */
export interface HuntSummary extends HuntIdentity {
  readonly shard: Shard;
  /** Runs explored. */
  readonly runs: number;
  /** Null when no run was explored (a shard of a hunt with fewer runs than shards). */
  readonly covered: Coverage | null;
  readonly found: boolean;
  /** Of the bucket found first. */
  readonly kind: FailureKind | null;
  /** Failing runs passed over for an ignored signature. */
  readonly ignored: number;
  /** Of a hunt that stops at its first failure: the failing run's index in the whole hunt, its seed, its trace. */
  readonly run?: number;
  readonly runSeed?: number;
  readonly counterexample?: string;
  /** One per signature, in the order they were first found. */
  readonly buckets: readonly BucketSummary[];
}

/** What a summary needs of a hunt's result. */
export interface HuntFacts {
  readonly runs: number;
  readonly ignored: number;
  readonly buckets: readonly Omit<Bucket, 'trace'>[];
}

/** `written`: the path of each bucket's trace, by signature. */
export function huntSummary(hunt: HuntIdentity, shard: Shard, result: HuntFacts, written: ReadonlyMap<string, string>): HuntSummary {
  const buckets = result.buckets.map(({ signature, kind, count, firstRun, run, original }): BucketSummary => {
    const counterexample = written.get(signature);
    if (counterexample === undefined) throw new Error(`huntSummary: no trace written for ${signature}`);
    return { signature, kind, count, firstRun, run, original, runSeed: runSeed(hunt.seed, run), counterexample };
  });
  const [first] = buckets;
  return {
    ...hunt,
    shard,
    runs: result.runs,
    covered: coverage(shard, result.runs),
    found: first !== undefined,
    kind: first?.kind ?? null,
    ignored: result.ignored,
    ...(first && hunt.maxFailures === 1 ? { run: first.run, runSeed: first.runSeed, counterexample: first.counterexample } : {}),
    buckets,
  };
}

function coverage(shard: Shard, runs: number): Coverage | null {
  return runs === 0 ? null : { first: shard.index, step: shard.count, last: nthRun(shard, runs - 1) };
}

/** Reads a summary, with one clear message (a TraceError) for whatever is wrong with it. */
export function parseSummary(text: string): HuntSummary {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TraceError(`not JSON: ${(err as Error).message}`);
  }
  const s = object(raw, 'summary');
  const sh = object(s['shard'], 'shard');
  const count = integer(sh['count'], 'shard.count', 1, MAX_SHARDS);
  const shard = { index: integer(sh['index'], 'shard.index', 0, count - 1), count };
  const hunt: HuntIdentity = {
    model: string(s['model'], 'model'),
    strategy: string(s['strategy'], 'strategy'),
    seed: integer(s['seed'], 'seed', 0, 2 ** 32 - 1),
    depth: integer(s['depth'], 'depth', 1, 100),
    lockdep: boolean(s['lockdep'], 'lockdep'),
    planned: integer(s['planned'], 'planned', 1, 10_000_000),
    maxFailures: s['maxFailures'] === null ? null : integer(s['maxFailures'], 'maxFailures', 1, 10_000_000),
    ignore: array(s['ignore'], 'ignore').map((x, i) => string(x, `ignore[${i}]`)),
    modelHash: s['modelHash'] === null ? null : string(s['modelHash'], 'modelHash'),
  };
  const runs = integer(s['runs'], 'runs', 0, shardSize(hunt.planned, shard));
  const last = runs === 0 ? -1 : nthRun(shard, runs - 1);
  const buckets = array(s['buckets'], 'buckets').map((raw, i) => parseBucket(raw, `buckets[${i}]`, hunt.seed, shard, last));
  if (buckets.length > (hunt.maxFailures ?? Infinity))
    throw new TraceError(`buckets: ${buckets.length}, more than maxFailures ${hunt.maxFailures}`);
  // A hunt that stops at its first failure stops at its one failing run: the last one explored.
  if (hunt.maxFailures === 1 && buckets[0] && buckets[0].run !== last)
    throw new TraceError(`buckets[0].run: expected ${last}, the last run explored`);
  return huntSummary(
    hunt,
    shard,
    { runs, ignored: integer(s['ignored'], 'ignored', 0, runs), buckets },
    new Map(buckets.map((b) => [b.signature, b.counterexample])),
  );
}

function parseBucket(raw: unknown, what: string, seed: number, shard: Shard, last: number): BucketSummary {
  const b = object(raw, what);
  const kind = b['kind'];
  if (!FAILURE_KINDS.includes(kind as FailureKind)) throw new TraceError(`${what}.kind: unknown ${JSON.stringify(kind)}`);
  const inShard = (key: string): number => {
    const run = integer(b[key], `${what}.${key}`, 0, Math.max(last, 0));
    if (run > last || run % shard.count !== shard.index) throw new TraceError(`${what}.${key}: ${run} is not a run this shard explored`);
    return run;
  };
  const run = inShard('run');
  if (b['runSeed'] !== runSeed(seed, run)) throw new TraceError(`${what}.runSeed: not the seed of run ${run}`);
  const original = object(b['original'], `${what}.original`);
  const size: Size = {
    steps: integer(original['steps'], `${what}.original.steps`, 0, 2 ** 31),
    choices: integer(original['choices'], `${what}.original.choices`, 0, 2 ** 31),
  };
  const firstRun = inShard('firstRun');
  if (firstRun > run) throw new TraceError(`${what}.firstRun: ${firstRun}, after the run kept (${run})`);
  return {
    signature: string(b['signature'], `${what}.signature`),
    kind: kind as FailureKind,
    count: integer(b['count'], `${what}.count`, 1, 10_000_000),
    firstRun,
    run,
    original: size,
    runSeed: runSeed(seed, run),
    counterexample: string(b['counterexample'], `${what}.counterexample`),
  };
}
