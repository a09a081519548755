import { taken } from '../kernel/choices.js';
import type { RunResult } from '../harness/run.js';
import type { Scenario } from '../harness/scenario.js';

/** A point where runs tried so far took different tasks: the run goes on at the child of the task it takes among `ready`. */
interface Fork {
  readonly kind: 'fork';
  readonly ready: number;
  readonly next: Map<number, Point>;
}

/** The steps of one run from `from` on, kept as the run's own lists, and its outcome. */
interface Rest {
  readonly kind: 'rest';
  readonly from: number;
  readonly run: Pick<RunResult, 'choices' | 'readyCounts'>;
  readonly outcome: boolean;
}

type Point = Fork | Rest;

/**
 * The runs a shrink has tried, as a tree of schedules per scenario. A choice list takes
 * each value modulo the tasks ready at its step, so many lists that fast-check tries are
 * the same schedule as one tried before, with the same outcome: the shrink's runs are
 * deterministic. Walking a list down the tree, with the ready counts the earlier runs
 * met, tells such a list apart before running it. Runs share a fork only where they
 * part; below it each keeps its own lists, so that a tried run costs the tree a few
 * objects, not one per step.
 */
export class TriedSchedules {
  private readonly roots = new Map<string, Point>();

  /** The outcome of the run of `scenario` under `choices` if the same run was tried, else undefined. */
  outcome(scenario: Scenario, choices: readonly number[]): boolean | undefined {
    let at = this.roots.get(JSON.stringify(scenario));
    for (let step = 0; at !== undefined; step++) {
      if (at.kind === 'rest') return follows(choices, at) ? at.outcome : undefined;
      at = at.next.get(taken(choices[step], at.ready));
    }
    return undefined;
  }

  /** Remembers a run of `scenario` and its outcome. */
  add(scenario: Scenario, run: Pick<RunResult, 'choices' | 'readyCounts'>, outcome: boolean): void {
    const key = JSON.stringify(scenario);
    let put = (p: Point): void => void this.roots.set(key, p);
    let at = this.roots.get(key);
    let step = 0;
    for (; at !== undefined; step++) {
      if (at.kind === 'rest') {
        put(parted(at, { kind: 'rest', from: step, run, outcome }));
        return;
      }
      const fork: Fork = at;
      const chosen = run.choices[step]!;
      put = (p) => void fork.next.set(chosen, p);
      at = fork.next.get(chosen);
    }
    put({ kind: 'rest', from: step, run, outcome });
  }
}

/** Whether a choice list takes every task that the rest of a run took. */
function follows(choices: readonly number[], rest: Rest): boolean {
  const { run } = rest;
  for (let step = rest.from; step < run.choices.length; step++) {
    if (taken(choices[step], run.readyCounts[step]!) !== run.choices[step]) return false;
  }
  return true;
}

/**
 * Two rests from the same step, as forks down to the step where they part. The runs are
 * deterministic, so up to there they met the same ready counts, and one cannot end where
 * the other goes on; the same run twice keeps the first.
 */
function parted(old: Rest, added: Rest): Point {
  const a = old.run;
  const b = added.run;
  let step = old.from;
  while (step < a.choices.length && step < b.choices.length && a.choices[step] === b.choices[step]) step++;
  if (step >= a.choices.length || step >= b.choices.length) return old;
  let point: Point = {
    kind: 'fork',
    ready: a.readyCounts[step]!,
    next: new Map<number, Point>([
      [a.choices[step]!, { ...old, from: step + 1 }],
      [b.choices[step]!, { ...added, from: step + 1 }],
    ]),
  };
  for (let s = step - 1; s >= old.from; s--) point = { kind: 'fork', ready: a.readyCounts[s]!, next: new Map([[a.choices[s]!, point]]) };
  return point;
}
