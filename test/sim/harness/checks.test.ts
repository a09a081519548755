import { expect } from 'chai';
import fc from 'fast-check';
import { WorldChecker, worldViolations } from '../../../src/sim/harness/checks.js';
import type { TapaUnderTest } from '../../../src/sim/harness/model.js';
import { scenarioArb, tapaName, timeline } from '../../../src/sim/harness/scenario.js';
import { createStrategy, Scheduler } from '../../../src/sim/kernel/index.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { Application } from '../../../src/sim/world/application.js';
import { Environment } from '../../../src/sim/world/environment.js';

describe('sim: world rules checked on what a step touched', function () {
  this.timeout(120_000);

  // The broken models break the world rules in some runs, so that the property also compares checks that find something.
  for (const [name, scenarios, breaks] of [
    ['core', { maxSteps: 8 }, false],
    ['broken:keeps-old-target', { maxSteps: 8, kinds: ['open', 'openAll', 'heal', 'down'] }, true],
    ['broken:reuses-identifier', { maxSteps: 8, kinds: ['open', 'openAll', 'close'] }, true],
  ] as const) {
    it(`${name}: after every step, the incremental check finds what the full check finds`, () => {
      let broken = 0;
      fc.assert(
        fc.property(scenarioArb(scenarios), fc.nat(), (scenario, seed) => {
          const scheduler = new Scheduler(createStrategy({ kind: 'random', seed }), { log: false });
          const env = new Environment(scheduler, scenario, seed);
          const tapas: TapaUnderTest[] = Array.from({ length: scenario.tapas }, (_, i) =>
            MODELS.get(name)!.create(env, {
              name: tapaName(i),
              node: `worker-${i + 1}`,
              seed: seed + i,
              reply: () => app.answered(tapaName(i)),
            }),
          );
          const app = new Application(
            scenario,
            tapas,
            () => undefined,
            () => undefined,
          );
          for (const step of timeline(scenario)) {
            const byApp = app.handles(step);
            scheduler.at(step.at, byApp ? 'app' : 'world', step.kind, () => (byApp ? app.apply(step) : env.apply(step)));
          }
          const checker = new WorldChecker(env, tapas);
          const byName = new Map(tapas.map((t) => [t.name, t]));
          // The incremental check relies on the last one having found nothing: a run ends at its first violation.
          for (let steps = 0; steps < 3_000; steps++) {
            const task = scheduler.step();
            if (!task) return;
            const tapa = byName.get(task.actor) ?? byName.get(task.actor.split('/')[0]!);
            const full = worldViolations(env, tapas);
            expect(checker.violations(tapa), `step ${steps}: ${task.actor}: ${task.label}`).to.deep.equal(full);
            if (full.length > 0) return void broken++;
          }
        }),
        { numRuns: 12, seed: 15 },
      );
      expect(broken > 0, 'runs that broke a world rule').to.equal(breaks);
    });
  }
});
