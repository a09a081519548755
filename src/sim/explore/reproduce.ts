import type { StrategySpec } from '../kernel/index.js';
import { blockedSignature, normalizeFrame, parseTraces, TRACES_SEPARATOR, type TraceGroup } from '../goroutine/index.js';
import { shrink } from './hunt.js';
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
  /** Told before every run: runs tried so far. */
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
  const target = blockedSignature(options.profile);
  const shape = inferShape(options.profile);
  const next = rng(options.seed ^ 0x578);
  let best: { score: number; sig: Map<string, number>; missing: [string, number][]; extra: [string, number][] } | undefined;
  let tries = 0;
  for (let variant = 0; ; variant++) {
    const scenario = candidate(shape, next, variant);
    const runSeed = Math.floor(next() * 2 ** 32) >>> 0;
    const strategies: StrategySpec[] = [
      { kind: 'random', seed: runSeed },
      { kind: 'pct', seed: runSeed, depth: 2 + (variant % 3) },
    ];
    for (const strategy of strategies) {
      if (tries >= (options.maxRuns ?? Infinity) || Date.now() >= deadline || options.stop?.()) {
        const b = best ?? { sig: new Map<string, number>(), ...compareSignatures(target, new Map()) };
        return { found: false, closest: b.sig, missing: b.missing, extra: b.extra, tries };
      }
      options.progress?.(tries);
      tries++;
      const result = runScenario(scenario, { model: options.model, strategy, seed: runSeed, lingerMs: REPRODUCE_LINGER_MS });
      const sig = runSignature(result);
      const cmp = compareSignatures(target, sig);
      if (cmp.score === 0 && result.failure?.kind === 'deadlock') {
        // Smaller, as long as the dump still blocks exactly where the report does.
        const same = (r: RunResult): boolean => r.failure?.kind === 'deadlock' && compareSignatures(target, runSignature(r)).score === 0;
        const trace = shrink(options.model, scenario, [...result.choices], runSeed, same, {
          extra: { lingerMs: REPRODUCE_LINGER_MS },
          budget: REPRODUCE_SHRINK_BUDGET,
          note: { ...options.note, foundBy: strategy },
        });
        return { found: true, trace, tries, elapsedMs: Date.now() - started };
      }
      if (best === undefined || cmp.score < best.score) best = { sig, ...cmp };
    }
  }
}
