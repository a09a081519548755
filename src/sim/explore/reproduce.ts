import type { StrategySpec } from '../kernel/index.js';
import { blockedSignature, normalizeFrame, parseTraces, TRACES_SEPARATOR, type TraceGroup } from '../goroutine/index.js';
import { shrink } from './hunt.js';
import { NO_CUTOFF, onWorkers } from './pool.js';
import type { Model } from '../harness/model.js';
import { runScenario, type RunResult } from '../harness/run.js';
import type { Scenario, Step } from '../harness/scenario.js';
import type { Trace, TraceNote } from './trace.js';

/** How long the world runs on after a deadlock before its dump is taken: a report's dump is minutes old. */
export const REPRODUCE_LINGER_MS = 120_000;

export interface ReproduceOptions {
  readonly profile: readonly TraceGroup[];
  readonly model: Model;
  readonly seed: number;
  readonly timeLimitMs: number;
  /**
   * Stop after this many runs. Within it, the outcome depends on the seed alone: the time
   * limit alone stops wherever the machine's speed got to.
   */
  readonly maxRuns?: number;
  /** Asked before every run; true stops the search. */
  readonly stop?: () => boolean;
  /** Told before every run (a few times a second from workers): runs tried so far. */
  readonly progress?: (tries: number) => void;
  /** Written into the trace (where the model came from). */
  readonly note?: TraceNote;
}

export type ReproduceResult =
  | { readonly found: true; readonly trace: Trace; readonly tries: number; readonly elapsedMs: number }
  | {
      readonly found: false;
      /** The blocked signature of the closest run (empty when no run deadlocked). */
      readonly closest: Map<string, number>;
      /** In the report, not produced: key and how many more the report has. */
      readonly missing: [string, number][];
      /** Produced, not in the report: key and how many more the run had. */
      readonly extra: [string, number][];
      readonly tries: number;
    };

const TAPA_PACKAGES = /^(tap|conduit|stream|trench)\./;

/** Whether any frame belongs to the TAPA (packages tap, conduit, stream, trench after normalisation). */
export function hasTapaFrames(profile: readonly TraceGroup[]): boolean {
  return profile.some((g) => g.frames.some((f) => TAPA_PACKAGES.test(normalizeFrame(f))));
}

/** The blocked signature of a run: from the dump after a deadlock's cycle, empty without a deadlock. */
/** Runs a shrink of a reproduction may try; it keeps the exact signature throughout. */
export const REPRODUCE_SHRINK_BUDGET = 300;

export function runSignature(result: Pick<RunResult, 'failure'>): Map<string, number> {
  if (result.failure?.kind !== 'deadlock') return new Map();
  const at = result.failure.message.indexOf(TRACES_SEPARATOR);
  if (at < 0) return new Map();
  return blockedSignature(parseTraces(result.failure.message.slice(at)));
}

/** Differences between a target signature and a produced one, each in key order. */
export function compareSignatures(
  target: ReadonlyMap<string, number>,
  got: ReadonlyMap<string, number>,
): { score: number; missing: [string, number][]; extra: [string, number][] } {
  const keys = [...new Set([...target.keys(), ...got.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const missing: [string, number][] = [];
  const extra: [string, number][] = [];
  let score = 0;
  for (const k of keys) {
    const d = (target.get(k) ?? 0) - (got.get(k) ?? 0);
    score += Math.abs(d);
    if (d > 0) missing.push([k, d]);
    if (d < 0) extra.push([k, -d]);
  }
  return { score, missing, extra };
}

/** What the profile says about the scenario that produced it. */
export interface Shape {
  readonly streams: number;
  readonly vips: boolean;
  readonly streamConfig: boolean;
  readonly closes: boolean;
  readonly reopens: boolean;
}

export function inferShape(profile: readonly TraceGroup[]): Shape {
  let opens = 0;
  let closes = 0;
  const seen = new Set<string>();
  for (const { count, frames } of profile) {
    const names = frames.map(normalizeFrame);
    for (const n of names) seen.add(n);
    if (names.includes('stream.(*Stream).Open')) opens += count;
    if (names.includes('stream.(*Stream).Close')) closes += count;
  }
  return {
    streams: Math.min(4, Math.max(1, opens, closes)),
    vips: seen.has('conduit.(*Conduit).SetVIPs'),
    streamConfig: seen.has('conduit.(*streamManager).SetStreams'),
    closes: seen.has('tap.(*Tap).Close.func1') || seen.has('tap.(*Tap).Close'),
    reopens: seen.has('tap.(*Tap).Open'),
  };
}

/** mulberry32: a small seeded generator, so a search is a function of its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One scenario of the reporter-like family (Meridio #578: two conduits, the first with
 * `streams` streams, the second with one; the application opens them all, closes all,
 * opens again), with the steps the profile suggests and times drawn from `next`. The
 * first tries keep the reporter's rhythm (30 s between open and close) and only move
 * the VIP change; later ones move everything and vary the counts.
 */
export function candidate(shape: Shape, next: () => number, variant: number): Scenario {
  const int = (n: number): number => Math.floor(next() * n);
  const wide = variant >= 14;
  const opens = (at: number): Step[] => [
    ...Array.from({ length: shape.streams }, (_, c): Step => ({ at: at + c, kind: 'open', a: 0, b: 0, c })),
    { at: at + shape.streams, kind: 'open', a: 0, b: 1, c: 0 },
  ];
  const jitter = (base: number, spread: number): number => (wide ? Math.max(0, base + (int(2 * spread + 1) - spread)) : base);
  const steps: Step[] = [...opens(0)];
  if (shape.vips) {
    const vipRounds = wide ? 1 + int(2) : 1;
    for (let i = 0; i < vipRounds; i++) steps.push({ at: 1_000 + int(7) * 3_000 + i * 500, kind: 'vips', a: 0, b: 0, c: 1 + i });
  }
  if (shape.closes) steps.push({ at: jitter(30_000, 8_000), kind: 'closeAll', a: 0, b: 0, c: 0 });
  if (shape.streamConfig)
    steps.push({
      at: jitter(40_000, 8_000),
      kind: 'streamConfig',
      a: 0,
      b: 0,
      c: wide ? int(shape.streams) : Math.min(1, shape.streams - 1),
    });
  if (shape.vips) steps.push({ at: jitter(45_000, 8_000), kind: 'vips', a: 0, b: 0, c: wide ? 2 + int(3) : 2 });
  if (shape.reopens) steps.push(...opens(jitter(60_000, 10_000)));
  steps.sort((x, y) => x.at - y.at);
  return { tapas: 1, conduits: 2, streams: shape.streams, maxTargets: 4, faultyProxy: true, steps };
}

/** What a search needs besides its model and limits: plain data, so that workers can run it too. */
export interface SearchOptions {
  readonly profile: readonly TraceGroup[];
  readonly seed: number;
}

/** One try of a search: a scenario and a schedule. */
interface Try {
  readonly scenario: Scenario;
  readonly strategy: StrategySpec;
  readonly runSeed: number;
}

/**
 * The tries of a search, in order: each scenario under a random schedule, then under PCT.
 * A function of the profile's shape and the seed, so that any thread can go through them.
 */
function* tries(shape: Shape, seed: number): Generator<Try, never> {
  const next = rng(seed ^ 0x578);
  for (let variant = 0; ; variant++) {
    const scenario = candidate(shape, next, variant);
    const runSeed = Math.floor(next() * 2 ** 32) >>> 0;
    yield { scenario, strategy: { kind: 'random', seed: runSeed }, runSeed };
    yield { scenario, strategy: { kind: 'pct', seed: runSeed, depth: 2 + (variant % 3) }, runSeed };
  }
}

/** How close a try came to the report. */
export interface Attempt {
  readonly score: number;
  readonly sig: Map<string, number>;
  readonly missing: [string, number][];
  readonly extra: [string, number][];
  /** A deadlock blocked exactly where the report does. */
  readonly match: boolean;
}

const runTry = (model: Model, t: Try): RunResult =>
  runScenario(t.scenario, { model, strategy: t.strategy, seed: t.runSeed, lingerMs: REPRODUCE_LINGER_MS, log: false });

/**
 * Runs the tries of a search at increasing positions, and tells a try only when it comes
 * strictly closer than every earlier one it ran. Whoever runs a subset of the positions
 * this way tells every try that can be the closest of any prefix of the positions: the
 * closest (lowest score, then lowest position) beats all the earlier ones of its subset.
 */
export function searchRunner(model: Model, options: SearchOptions): (position: number) => Attempt | undefined {
  const target = blockedSignature(options.profile);
  const plan = tries(inferShape(options.profile), options.seed);
  let at = -1;
  let current: Try | undefined;
  let closest = Infinity;
  return (position) => {
    for (; at < position; at++) current = plan.next().value;
    const result = runTry(model, current!);
    const sig = runSignature(result);
    const cmp = compareSignatures(target, sig);
    if (cmp.score >= closest) return undefined;
    closest = cmp.score;
    return { sig, ...cmp, match: cmp.score === 0 && result.failure?.kind === 'deadlock' };
  };
}

/** The fold of a search over its tries, in position order: the first match ends it, else the closest try. */
class Search {
  best: Attempt | undefined;
  /** The position of the first match. */
  found: number | undefined;
  /** Tries folded. */
  tries = 0;

  add(position: number, attempt: Attempt | undefined): void {
    this.tries = position + 1;
    if (attempt?.match) this.found = position;
    else if (attempt && (this.best === undefined || attempt.score < this.best.score)) this.best = attempt;
  }
}

/** The result of a search from its fold: a match is run again and shrunk. */
function searchResult(options: ReproduceOptions, search: Search, started: number): ReproduceResult {
  const { found, tries: count } = search;
  const target = blockedSignature(options.profile);
  if (found === undefined) {
    const b = search.best ?? { sig: new Map<string, number>(), ...compareSignatures(target, new Map()) };
    return { found: false, closest: b.sig, missing: b.missing, extra: b.extra, tries: count };
  }
  const plan = tries(inferShape(options.profile), options.seed);
  for (let i = 0; i < found; i++) plan.next();
  const t = plan.next().value;
  // Smaller, as long as the dump still blocks exactly where the report does.
  const same = (r: RunResult): boolean => r.failure?.kind === 'deadlock' && compareSignatures(target, runSignature(r)).score === 0;
  const trace = shrink(options.model, t.scenario, [...runTry(options.model, t).choices], t.runSeed, same, {
    extra: { lingerMs: REPRODUCE_LINGER_MS },
    budget: REPRODUCE_SHRINK_BUDGET,
    note: { ...options.note, foundBy: t.strategy },
  });
  return { found: true, trace, tries: count, elapsedMs: Date.now() - started };
}

/**
 * Searches the reporter-like scenarios of `model` for a run whose goroutine dump blocks
 * exactly where the profile does (the same blocked signature), under random and PCT
 * schedules seeded from `seed`; stops on an exact match, after `maxRuns`, at the time
 * limit or when `stop` says so. Otherwise deterministic: the same seed tries the same
 * runs in the same order.
 */
export function reproduce(options: ReproduceOptions): ReproduceResult {
  const started = Date.now();
  const deadline = started + options.timeLimitMs;
  const run = searchRunner(options.model, options);
  const search = new Search();
  for (let position = 0; search.found === undefined; position++) {
    if (position >= (options.maxRuns ?? Infinity) || Date.now() >= deadline || options.stop?.()) break;
    options.progress?.(position);
    search.add(position, run(position));
  }
  return searchResult(options, search, started);
}

export interface WorkerReproduceOptions extends Omit<ReproduceOptions, 'stop'> {
  /** How a worker loads the model, as `--model` takes it. */
  readonly modelSpec: string;
  /** Worker threads; 1 searches in this thread. */
  readonly workers: number;
}

/**
 * `reproduce` with its tries spread over worker threads, with the result of one thread
 * (elapsed time aside): the workers tell the tries that come closest (`searchRunner`),
 * this thread folds them in position order and shrinks the first match.
 */
export async function reproduceOnWorkers(options: WorkerReproduceOptions): Promise<ReproduceResult> {
  const { modelSpec, workers, progress, ...rest } = options;
  if (workers <= 1) return reproduce(options);
  const started = Date.now();
  const total = options.maxRuns ?? Infinity;
  const explored = await onWorkers<Attempt>({
    modelSpec,
    job: { kind: 'reproduce', options: { profile: rest.profile, seed: rest.seed } },
    total,
    workers,
    deadline: started + options.timeLimitMs,
    report: (position, attempt) => (attempt.match ? position : NO_CUTOFF),
    ...(progress ? { progress } : {}),
  });
  const search = new Search();
  for (let position = 0; position < total && search.found === undefined && explored.ran(position); position++)
    search.add(position, explored.reports.get(position));
  return searchResult(rest, search, started);
}
