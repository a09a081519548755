import { runSeed, type HuntResult } from './hunt.js';
import type { FailureKind } from '../harness/run.js';
import { MAX_SHARDS, nthRun, shardSize, type Shard } from './shard.js';
import { boolean, FAILURE_KINDS, integer, object, string, TraceError } from './trace.js';

/** What makes two shards parts of the same hunt: the command line apart from `--shard`. */
export interface HuntIdentity {
  readonly model: string;
  readonly strategy: string;
  readonly seed: number;
  readonly depth: number;
  readonly lockdep: boolean;
  /** The hunt's `--runs`, over all its shards. */
  readonly planned: number;
}

/** Run indices first, first + step, ..., last. */
export interface Coverage {
  readonly first: number;
  readonly step: number;
  readonly last: number;
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
  readonly kind: FailureKind | null;
  /** Of a failure: the failing run's index in the whole hunt, and its seed. */
  readonly run?: number;
  readonly runSeed?: number;
  /** Of a failure: the trace's path as written; `merge` looks for it next to the summary. */
  readonly counterexample?: string;
}

export function huntSummary(hunt: HuntIdentity, shard: Shard, result: HuntResult, counterexample?: string): HuntSummary {
  return {
    ...hunt,
    shard,
    runs: result.runs,
    covered: coverage(shard, result.runs),
    found: result.found,
    kind: result.kind ?? null,
    ...(result.run === undefined ? {} : { run: result.run, runSeed: runSeed(hunt.seed, result.run) }),
    ...(counterexample === undefined ? {} : { counterexample }),
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
  };
  const runs = integer(s['runs'], 'runs', 0, shardSize(hunt.planned, shard));
  if (!boolean(s['found'], 'found')) return huntSummary(hunt, shard, { runs, found: false });
  const kind = s['kind'];
  if (!FAILURE_KINDS.includes(kind as FailureKind)) throw new TraceError(`kind: unknown ${JSON.stringify(kind)}`);
  if (runs === 0) throw new TraceError('found: true, but no run was explored');
  // A hunt stops at its first failure: the failing run is the last one explored.
  const last = nthRun(shard, runs - 1);
  if (s['run'] !== last) throw new TraceError(`run: expected ${last}, the last run explored`);
  return huntSummary(
    hunt,
    shard,
    { runs, found: true, kind: kind as FailureKind, run: last },
    string(s['counterexample'], 'counterexample'),
  );
}
