import { Divergence } from '../kernel/index.js';
import type { Model } from '../harness/model.js';
import { runScenario, type Failure, type RunObserver } from '../harness/run.js';
import { firstDivergence, type Trace } from './trace.js';

export type ReplayOutcome =
  | { readonly kind: 'passed'; readonly steps: number }
  | { readonly kind: 'failed'; readonly failure: Failure; readonly steps: number }
  | { readonly kind: 'diverged'; readonly message: string };

/**
 * Re-runs a trace. Under its own model the recorded choices are replayed exactly and the
 * log must match step for step; under another model (the core on a scenario recorded
 * against a legacy model, say) there is no log to match, so the choices steer the run
 * as far as they fit and then the plain order takes over. An observer sees the re-run
 * step by step (the swimlane picture).
 */
export function replay(trace: Trace, model: Model, observer?: RunObserver): ReplayOutcome {
  const own = model.name === trace.model;
  let result;
  try {
    result = runScenario(trace.scenario, {
      model,
      seed: trace.seed,
      ...(trace.lingerMs === undefined ? {} : { lingerMs: trace.lingerMs }),
      ...(trace.lockdep ? { lockdep: true } : {}),
      ...(trace.start ? { start: trace.start } : {}),
      ...(observer ? { observer } : {}),
      strategy: own ? { kind: 'replay', choices: [...trace.choices] } : { kind: 'choices', choices: [...trace.choices] },
    });
  } catch (err) {
    if (err instanceof Divergence) return { kind: 'diverged', message: err.message };
    throw err;
  }
  if (own) {
    const diff = firstDivergence(trace.log, result.log);
    if (diff) return { kind: 'diverged', message: `the run diverges from the recorded log at ${diff}` };
  }
  return result.failure
    ? { kind: 'failed', failure: result.failure, steps: result.log.length }
    : { kind: 'passed', steps: result.log.length };
}
