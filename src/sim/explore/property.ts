import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { record } from './hunt.js';
import type { Model } from '../harness/model.js';
import { MODELS } from '../models/index.js';
import { runScenario, type RunOptions } from '../harness/run.js';
import { scenarioArb, type Scenario, type ScenarioOptions } from '../harness/scenario.js';

export interface TapaPropertyOptions {
  /** A model or its name; default: the core. */
  readonly model?: Model | string;
  readonly scenarios?: ScenarioOptions;
  /** Where the counterexample trace is written; default: the working directory. */
  readonly out?: string;
  /** Bounds of the run (hang and convergence limits, steps). */
  readonly run?: Partial<Pick<RunOptions, 'hangMs' | 'convergenceMs' | 'maxSteps'>>;
}

export class TapaPropertyFailure extends Error {}

/**
 * A fast-check property over generated scenarios and schedules, for any mocha test:
 *
 *     fc.assert(tapaProperty({ model: 'core' }), { numRuns: 200 });
 *
 * The schedule is a choice list that fast-check generates and shrinks along with the
 * scenario. Every failing run overwrites `tapa-counterexample.json`; fast-check ends on
 * its smallest failure, so that is the file left behind, ready for `tapa-sim replay`.
 */
export function tapaProperty(options: TapaPropertyOptions = {}): fc.IPropertyWithHooks<[Scenario, number[], number]> {
  const model = typeof options.model === 'object' ? options.model : MODELS.get(options.model ?? 'core');
  if (!model) throw new Error(`tapaProperty: unknown model ${String(options.model)}`);
  const file = join(options.out ?? '.', 'tapa-counterexample.json');
  return fc.property(scenarioArb(options.scenarios), fc.array(fc.nat(7), { maxLength: 300 }), fc.nat(), (scenario, choices, seed) => {
    const strategy = { kind: 'choices', choices } as const;
    const result = runScenario(scenario, { model, strategy, seed, ...options.run });
    if (!result.failure) return;
    mkdirSync(options.out ?? '.', { recursive: true });
    writeFileSync(file, `${JSON.stringify(record(model, scenario, strategy, seed, options.run), null, 1)}\n`);
    throw new TapaPropertyFailure(`${result.failure.kind}: ${result.failure.message}\n  trace: ${file} (tapa-sim replay ${file})`);
  });
}
