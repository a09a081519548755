/**
 * One of `count` disjoint parts of a hunt, so that a hunt can be spread over machines.
 * Run index k belongs to shard k mod count: every run is in exactly one shard, and as a
 * run's seed depends only on the hunt's seed and k (`runSeed`), run k is the same run
 * whether the hunt is sharded or not.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole hunt as one shard. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** Enough for any cluster or CI matrix; a limit keeps file names and loops bounded. */
export const MAX_SHARDS = 100_000;

/** Reads `I/N` (0 <= I < N); undefined when it is not that. */
export function parseShard(text: string): Shard | undefined {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && count <= MAX_SHARDS && index < count ? { index, count } : undefined;
}

/** The run indices of a hunt of `runs` runs that belong to `shard`, in order. */
export function* shardRuns(runs: number, shard: Shard): Generator<number> {
  for (let k = shard.index; k < runs; k += shard.count) yield k;
}

/** How many runs of a hunt of `runs` runs belong to `shard`. */
export function shardSize(runs: number, shard: Shard): number {
  return shard.index < runs ? Math.ceil((runs - shard.index) / shard.count) : 0;
}

/** The index of the n-th run (from 0) of a shard. */
export function nthRun(shard: Shard, n: number): number {
  return shard.index + n * shard.count;
}

/** Distinguishes the files of the shards of one hunt, so that they can share a directory. */
export function shardFile(base: string, shard: Shard): string {
  return `${base}-${shard.index}-of-${shard.count}.json`;
}
