import { taken } from '../kernel/choices.js';
import type { RunResult } from '../harness/run.js';
import type { Scenario } from '../harness/scenario.js';

/** A point of a run: the steps taken so far. A run that ended here has an outcome; one that went on chose among `ready` tasks. */
interface Point {
  ready?: number;
  next?: Map<number, Point>;
  outcome?: boolean;
}

/**
 * The runs a shrink has tried, as a tree of schedules per scenario. A choice list takes
 * each value modulo the tasks ready at its step, so many lists that fast-check tries are
 * the same schedule as one tried before, with the same outcome: the shrink's runs are
 * deterministic. Walking a list down the tree, with the ready counts the earlier runs
 * met, tells such a list apart before running it.
 */
export class TriedSchedules {
  private readonly roots = new Map<string, Point>();

  /** The outcome of the run of `scenario` under `choices` if the same run was tried, else undefined. */
  outcome(scenario: Scenario, choices: readonly number[]): boolean | undefined {
    let at = this.roots.get(JSON.stringify(scenario));
    for (let step = 0; at !== undefined; step++) {
      if (at.outcome !== undefined) return at.outcome;
      if (at.ready === undefined) return undefined;
      at = at.next?.get(taken(choices[step], at.ready));
    }
    return undefined;
  }

  /** Remembers a run of `scenario` and its outcome. */
  add(scenario: Scenario, result: Pick<RunResult, 'choices' | 'readyCounts'>, outcome: boolean): void {
    const key = JSON.stringify(scenario);
    let at = this.roots.get(key);
    if (at === undefined) this.roots.set(key, (at = {}));
    result.choices.forEach((chosen, step) => {
      at!.ready = result.readyCounts[step];
      at!.next ??= new Map();
      let next = at!.next.get(chosen);
      if (next === undefined) at!.next.set(chosen, (next = {}));
      at = next;
    });
    at.outcome = outcome;
  }
}
