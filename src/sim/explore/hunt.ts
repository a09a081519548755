import fc from 'fast-check';
import type { StrategySpec } from '../kernel/index.js';
import type { Model } from '../harness/model.js';
import { runScenario, type FailureKind, type RunOptions, type RunResult } from '../harness/run.js';
import { Draw, SeededSource } from '../harness/draw.js';
import { drawScenario, scenarioArb, type Scenario, type ScenarioOptions } from '../harness/scenario.js';
import { fitted, type Start } from '../harness/start.js';
import { smaller, type Size } from './bucket.js';
import { portfolioEntry } from './portfolio.js';
import { shardRuns, WHOLE, type Shard } from './shard.js';
import { TriedSchedules } from './tried.js';
import { TRACE_FORMAT, TRACE_VERSION, type Trace, type TraceNote } from './trace.js';

export type StrategyName = 'fifo' | 'random' | 'pct' | 'choices' | 'portfolio';

export interface HuntOptions {
  readonly model: Model;
  readonly strategy: StrategyName;
  readonly runs: number;
  readonly seed: number;
  readonly depth?: number;
  readonly scenarios?: ScenarioOptions;
  /** Also fail runs that did not deadlock but took locks in conflicting orders. */
  readonly lockdep?: boolean;
  /** Explore only this shard's runs (absent: all of them). */
  readonly shard?: Shard;
  /**
   * Stop once failures of this many signatures are found: 1 (the default) stops at the
   * first failure, Infinity goes on over the whole run plan (`--keep-going`).
   */
  readonly maxFailures?: number;
  /** Failures with these signatures are passed over, as if their runs had passed: known bugs. */
  readonly ignore?: ReadonlySet<string>;
  /** Written into every trace (where the model came from). */
  readonly note?: TraceNote;
  /** Every run begins here: a sidecar's recorded core and the world it implies (`--from-recording`). */
  readonly start?: Start;
  /** Asked before every run; true stops the hunt (a wall-clock limit lives with the caller). */
  readonly stop?: () => boolean;
  /** Told before every run: its index, and the signatures found so far. */
  readonly progress?: (run: number, found: number) => void;
}

/** The failures of one signature, and the counterexample kept for them. */
export interface Bucket {
  readonly signature: string;
  readonly kind: FailureKind;
  /** Failing runs explored with this signature. */
  readonly count: number;
  /** The lowest index among them. */
  readonly firstRun: number;
  /** The run kept (the smallest, `smaller`), and its size before shrinking. */
  readonly run: number;
  readonly original: Size;
  /** The kept run, shrunk, ready to be written as a trace. */
  readonly trace: Trace;
}

export interface HuntResult {
  /** Runs explored. */
  readonly runs: number;
  readonly found: boolean;
  /** Of the bucket found first: the index of its kept run in the whole hunt, the same whatever the sharding. */
  readonly run?: number;
  readonly kind?: FailureKind;
  /** Of the bucket found first: the shrunk counterexample. */
  readonly trace?: Trace;
  /** Of the bucket found first: the size before shrinking. */
  readonly original?: Size;
  /** Failing runs passed over for an ignored signature. */
  readonly ignored: number;
  /** One per signature found, in the order they were first found. */
  readonly buckets: readonly Bucket[];
}

/** The seed of run `i` of a hunt: distinct runs, reproducible from the hunt's seed. */
export function runSeed(seed: number, i: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) >>> 0;
}

/** fast-check's bias for the first value it draws: a hunt's runs are drawn as `fc.sample` of one value would draw them. */
const HUNT_BIAS = 2;
/** Choice lists of `choices` runs: short, as they are a deviation from the plain order that goes on past them. */
const MAX_DRAWN_CHOICES = 10;

/** The scenario and schedule of one run, a pure function of the run's seed. */
export function plan(
  options: Pick<HuntOptions, 'strategy' | 'depth' | 'scenarios'>,
  seed: number,
): { scenario: Scenario; strategy: StrategySpec } {
  const scenario = drawScenario(options.scenarios ?? {}, new Draw(new SeededSource(seed), HUNT_BIAS));
  return { scenario, strategy: schedule(options.strategy, options.depth, seed) };
}

/** The concrete strategy a run of this seed explores (the portfolio's pick, for `portfolio`). */
function schedule(strategy: StrategyName, depth: number | undefined, seed: number): StrategySpec {
  switch (strategy) {
    case 'fifo':
      return { kind: 'fifo' };
    case 'random':
      return { kind: 'random', seed };
    case 'pct':
      return { kind: 'pct', seed, depth: depth ?? 3 };
    case 'choices': {
      const draw = new Draw(new SeededSource(seed ^ 0x5bd1e995), HUNT_BIAS);
      return { kind: 'choices', choices: draw.array(0, MAX_DRAWN_CHOICES, (d) => d.int(0, 7)) };
    }
    case 'portfolio': {
      const entry = portfolioEntry(seed);
      return schedule(entry.strategy, entry.depth, seed);
    }
  }
}

/** A failing run as exploration keeps it: enough to bucket it; the kept runs are run again to shrink them. */
export interface FailingRun extends Size {
  /** The run's index in the whole hunt. */
  readonly run: number;
  readonly signature: string;
  readonly kind: FailureKind;
  /** Its signature is one the hunt passes over. */
  readonly ignored: boolean;
}

/** Runs run `i` of a hunt; what the hunt needs to know of it when it fails. */
export function tryRun(options: Omit<HuntOptions, 'note' | 'stop' | 'progress'>, i: number): FailingRun | undefined {
  const seed = runSeed(options.seed, i);
  const { scenario, strategy } = plan(options, seed);
  const result = runScenario(scenario, { model: options.model, strategy, seed, log: false, ...extraOf(options) });
  const failure = result.failure;
  if (!failure) return undefined;
  const { signature, kind } = failure;
  return {
    run: i,
    signature,
    kind,
    ignored: options.ignore?.has(signature) === true,
    steps: scenario.steps.length,
    choices: result.choices.length,
  };
}

/** What every run of a hunt is given besides its scenario and schedule. */
const extraOf = (options: Pick<HuntOptions, 'lockdep' | 'start'>): Partial<RunOptions> => ({
  ...(options.lockdep ? { lockdep: true } : {}),
  ...(options.start ? { start: options.start } : {}),
});

/** A bucket while the hunt goes on: its kept run, not yet shrunk. */
interface Candidate {
  readonly signature: string;
  readonly kind: FailureKind;
  count: number;
  readonly firstRun: number;
  run: number;
  steps: number;
  choices: number;
}

/**
 * The fold of a hunt over its runs, in the order of their indices: whoever ran them (this
 * process, or workers in any order), the runs explored, the runs passed over and the
 * buckets are those of one process exploring the runs one after the other.
 */
export class Exploration {
  /** Runs explored: the position in the shard of the last run folded, plus one. */
  explored = 0;
  ignored = 0;
  readonly found = new Map<string, Candidate>();

  constructor(private readonly maxFailures: number) {}

  /** The hunt stops here: failures of `maxFailures` signatures are found. */
  get done(): boolean {
    return this.found.size >= this.maxFailures;
  }

  /** The run at `position` in the shard was explored; `failing` when it failed. */
  add(position: number, failing: FailingRun | undefined): void {
    this.explored = position + 1;
    if (!failing) return;
    if (failing.ignored) {
      this.ignored++;
      return;
    }
    const { run, steps, choices, signature, kind } = failing;
    const bucket = this.found.get(signature);
    if (!bucket) this.found.set(signature, { signature, kind, count: 1, firstRun: run, run, steps, choices });
    else {
      bucket.count++;
      if (smaller(failing, bucket)) Object.assign(bucket, { run, steps, choices });
    }
  }
}

/**
 * Explores runs, buckets their failures by signature, and shrinks one run per bucket. A
 * run is found with any strategy, but is shrunk as a (scenario, choice list) pair: the
 * recorded choices replay it exactly under the `choices` strategy, and fast-check shrinks
 * both towards fewer steps and the plain first-ready order, keeping the signature.
 *
 * Which run a bucket shrinks: the smallest before shrinking (`smaller`), once, after the
 * exploration. Keeping the smallest *shrunk* run would mean shrinking every failing run
 * that might beat the current one, and the result would depend on which runs a process
 * saw first: a shard that meets a run first shrinks it, one process that met a smaller
 * run earlier does not. The smallest unshrunk run is a minimum over runs, the same for
 * one process and for the union of its shards, and shrinking is a function of the run,
 * so `merge` of shards gives the very counterexamples of one process; and each process
 * shrinks once per bucket.
 */
export function hunt(options: HuntOptions): HuntResult {
  const exploration = new Exploration(options.maxFailures ?? 1);
  let position = 0;
  for (const i of shardRuns(options.runs, options.shard ?? WHOLE)) {
    if (exploration.done || options.stop?.()) break;
    options.progress?.(i, exploration.found.size);
    exploration.add(position++, tryRun(options, i));
  }
  return huntResult(options, exploration);
}

/** The result of a hunt from its exploration: the kept run of each bucket is run again and shrunk. */
export function huntResult(options: HuntOptions, exploration: Exploration): HuntResult {
  const extra = extraOf(options);
  const buckets = [...exploration.found.values()].map((c): Bucket => {
    const seed = runSeed(options.seed, c.run);
    const { scenario, strategy } = plan(options, seed);
    const { choices } = runScenario(scenario, { model: options.model, strategy, seed, log: false, ...extra });
    const trace = shrink(options.model, scenario, [...choices], seed, (r) => r.failure?.signature === c.signature, {
      ...(options.scenarios ? { scenarios: options.scenarios } : {}),
      extra,
      note: { ...options.note, foundBy: strategy },
    });
    const { signature, kind, count, firstRun, run, steps } = c;
    return { signature, kind, count, firstRun, run, original: { steps, choices: c.choices }, trace };
  });
  const [first] = buckets;
  return {
    runs: exploration.explored,
    found: first !== undefined,
    ...(first ? { run: first.run, kind: first.kind, trace: first.trace, original: first.original } : {}),
    ignored: exploration.ignored,
    buckets,
  };
}

/** Runs a shrink may try; past it, the smallest failure so far is the counterexample. */
export const SHRINK_BUDGET = 2_000;

/**
 * The longest choice list handed to fast-check, whose array shrinker recurses once per
 * element and runs out of stack on lists of a few thousand. A longer list is first cut
 * from the end; if it stays longer, it is written down as it is.
 */
export const SHRINK_MAX_CHOICES = 1_000;

/**
 * Shrinks a run as a (scenario, choice list) pair towards fewer steps and the plain
 * order, keeping whatever `still` says made it interesting, within `budget` runs
 * (`still` sees runs without their log: only the one written down keeps it).
 */
export function shrink(
  model: Model,
  scenario: Scenario,
  choices: number[],
  seed: number,
  still: (result: RunResult) => boolean,
  options: { scenarios?: ScenarioOptions; extra?: Partial<RunOptions>; budget?: number; note?: TraceNote } = {},
): Trace {
  const extra = options.extra ?? {};
  const note = options.note ?? {};
  // Counted, not timed, so that the same hunt always shrinks to the same counterexample.
  let budget = options.budget ?? SHRINK_BUDGET;
  // Many lists fast-check tries are a schedule tried before: their outcome is known.
  const tried = new TriedSchedules();
  const keeps = (s: Scenario, c: number[]): boolean => {
    if (budget-- <= 0) return false;
    const known = tried.outcome(s, c);
    if (known !== undefined) return known;
    const result = runScenario(s, { model, strategy: { kind: 'choices', choices: c }, seed, log: false, ...extra });
    const kept = still(result);
    tried.add(s, { choices: result.choices, readyCounts: result.readyCounts }, kept);
    return kept;
  };
  const start = choices.length > SHRINK_MAX_CHOICES ? cutFromEnd(choices, (c) => keeps(scenario, c)) : choices;
  if (start.length > SHRINK_MAX_CHOICES) return record(model, scenario, { kind: 'choices', choices: start }, seed, extra, note);
  const check = fc.check(
    fc.property(scenarioArb(options.scenarios), fc.array(fc.nat()), (s, c) => !keeps(s, c)),
    { examples: [[scenario, start]], numRuns: 1, seed },
  );
  const [s, c] = (check.failed && check.counterexample ? check.counterexample : [scenario, start]) as [Scenario, number[]];
  return record(model, s, { kind: 'choices', choices: c }, seed, extra, note);
}

/**
 * Drops chunks of halving size from the end of a choice list while the run still fails.
 * Past its end a list takes the plain order, and long runs found by random or PCT
 * schedules mostly fail under it too: a few runs usually cut thousands of choices.
 */
function cutFromEnd(choices: number[], fails: (c: number[]) => boolean): number[] {
  let cut = choices;
  for (let chunk = 2 ** Math.floor(Math.log2(cut.length)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    while (cut.length >= chunk && fails(cut.slice(0, cut.length - chunk))) cut = cut.slice(0, cut.length - chunk);
  }
  return cut;
}

/** Runs once and writes the run down as a trace. */
export function record(
  model: Model,
  scenario: Scenario,
  strategy: StrategySpec,
  seed: number,
  extra: Partial<RunOptions> = {},
  note: TraceNote = {},
): Trace {
  const result = runScenario(scenario, { model, strategy, seed, ...extra });
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    model: model.name,
    scenario: fitted(scenario, extra.start),
    strategy,
    seed,
    choices: [...result.choices],
    failure: result.failure ?? null,
    ...(extra.lingerMs === undefined ? {} : { lingerMs: extra.lingerMs }),
    ...(extra.lockdep ? { lockdep: true } : {}),
    ...(note.foundBy ? { foundBy: note.foundBy } : {}),
    ...(note.modelSource ? { modelSource: note.modelSource } : {}),
    ...(extra.start ? { start: extra.start } : {}),
    log: [...result.log],
  };
}
