import { expect } from 'chai';
import fc from 'fast-check';
import { plan, runSeed, type StrategyName } from '../../../src/sim/explore/hunt.js';
import { runScenario, type RunObserver, type RunOptions } from '../../../src/sim/harness/run.js';
import { MODELS } from '../../../src/sim/models/index.js';

const legacy = MODELS.get('legacy-v1.1.4')!;

/** Everything a run shows step by step: each task created (by which step), each task run, each park, lock and deadlock. */
function witness(): { observer: RunObserver; seen: string[] } {
  const seen: string[] = [];
  const observer: RunObserver = {
    created: (task, by) => seen.push(`created ${task.id} by ${by} ${task.actor}: ${task.label}`),
    ran: (task, entry) => seen.push(`ran ${entry.seq} at ${entry.time} ${task.id}`),
    stepping: (g, stack) => seen.push(`stepping ${g.actor} [${stack.join(' < ')}]`),
    acquired: (g, mutex) => seen.push(`acquired ${g.actor} ${mutex.name}`),
    released: (mutex) => seen.push(`released ${mutex.name}`),
    parked: (g, wait) => seen.push(`parked ${g.actor} ${wait.op} ${wait.object} on ${wait.on.join(',')}`),
    deadlocked: (d) => seen.push(`deadlocked ${d.closedBy} ${d.stuck.map((m) => m.goroutine).join(',')}`),
  };
  return { observer, seen };
}

describe('sim/goroutine settle: looking only at goroutines whose wait changed, building the wait-for graph only when a cycle is possible', () => {
  it('creates, runs and parks exactly what looking at every goroutine after every step does, on runs of the #578 model', () => {
    fc.assert(
      fc.property(fc.constantFrom<StrategyName>('pct', 'random', 'choices'), fc.nat(), fc.nat(300), (strategy, hunt, i) => {
        const seed = runSeed(hunt, i);
        const planned = plan({ strategy }, seed);
        const run = (settle: RunOptions['settle']) => {
          const { observer, seen } = witness();
          const result = runScenario(planned.scenario, { model: legacy, strategy: planned.strategy, seed, observer, settle });
          return { seen, failure: result.failure, choices: result.choices };
        };
        const full = run('full');
        const incremental = run('incremental');
        expect(incremental.seen).to.deep.equal(full.seen);
        expect(incremental.failure).to.deep.equal(full.failure);
        expect(incremental.choices).to.deep.equal(full.choices);
      }),
      { numRuns: 40, seed: 15 },
    );
  });
});
