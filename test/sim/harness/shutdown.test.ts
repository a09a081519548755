import { expect } from 'chai';
import { viewOf } from '../../../src/sim/harness/checks.js';
import type { Model, TapaUnderTest } from '../../../src/sim/harness/model.js';
import { runScenario } from '../../../src/sim/harness/run.js';
import type { Scenario, Step } from '../../../src/sim/harness/scenario.js';
import { coreModel } from '../../../src/sim/models/core.js';
import { Environment } from '../../../src/sim/world/environment.js';
import { createStrategy, Scheduler } from '../../../src/sim/kernel/index.js';

const world = (steps: Step[]): Scenario => ({
  tapas: 2,
  conduits: 2,
  streams: 2,
  maxTargets: 2,
  faultyProxy: false,
  steps,
  latency: { nsp: { minMs: 1, spreadMs: 3, tailPermille: 0, tailMs: 0 }, nsm: { minMs: 1, spreadMs: 3, tailPermille: 0, tailMs: 0 } },
});

const OPEN_THEN_STOP: Step[] = [
  { at: 0, kind: 'openAll', a: 0, b: 0, c: 0 },
  { at: 0, kind: 'openAll', a: 1, b: 0, c: 0 },
  { at: 10_000, kind: 'shutdown', a: 0, b: 0, c: 0 },
  // The application of a stopped TAPA makes no more calls.
  { at: 20_000, kind: 'open', a: 0, b: 1, c: 1 },
];

/** viewOf looks a TAPA up by name only. */
const named = (name: string): TapaUnderTest => ({ name }) as TapaUnderTest;

/** The core model, keeping its worlds so that a test can look at what is left in them. */
function watched(): { model: Model; envs: Environment[] } {
  const envs: Environment[] = [];
  const core = coreModel();
  return {
    envs,
    model: {
      name: 'core',
      create(env, spec) {
        if (!envs.includes(env)) envs.push(env);
        return core.create(env, spec);
      },
    },
  };
}

describe('sim/harness shutdown step', () => {
  for (const seed of [1, 2, 3]) {
    it(`the core gives back its targets and NSM connections and stops taking calls; the other TAPA stays (seed ${seed})`, () => {
      const { model, envs } = watched();
      const run = runScenario(world(OPEN_THEN_STOP), { model, strategy: { kind: 'random', seed }, seed });
      expect(run.failure).to.equal(undefined);
      const [env] = envs as [Environment];
      const stopped = viewOf(env, named('target-1'));
      expect(stopped.targets).to.deep.equal([]);
      expect(stopped.connections).to.deep.equal([]);
      expect(viewOf(env, named('target-2')).targets).to.have.length(4);
      expect(run.log.filter((e) => e.actor === 'target-1' && e.label.startsWith('Tap.Open')).every((e) => e.time < 10_000)).to.equal(true);
      expect(run.log.some((e) => e.label === 'open a=0 b=1 c=1')).to.equal(true);
    });
  }

  it('during an NSP outage it leaves targets for the NSP to expire, and the run waits for that', () => {
    const steps: Step[] = [
      { at: 0, kind: 'openAll', a: 0, b: 0, c: 0 },
      { at: 10_000, kind: 'nspOutage', a: 0, b: 0, c: 4, inside: [{ at: 100, kind: 'shutdown', a: 0, b: 0, c: 0 }] },
    ];
    const run = runScenario({ ...world(steps), tapas: 1 }, { model: coreModel(), strategy: { kind: 'random', seed: 1 }, seed: 1 });
    expect(run.failure).to.equal(undefined);
    expect(run.log.some((e) => e.label.startsWith('expire '))).to.equal(true);
  });

  it('a shutdown that never completes is a hang', () => {
    const core = coreModel();
    const deaf: Model = {
      name: 'deaf-to-sigterm',
      create: (env, spec) => Object.assign(Object.create(core.create(env, spec)) as TapaUnderTest, { shutdown: () => {} }),
    };
    const run = runScenario(world(OPEN_THEN_STOP), { model: deaf, strategy: { kind: 'random', seed: 1 }, seed: 1, hangMs: 20_000 });
    expect(run.failure?.kind).to.equal('hang');
    expect(run.failure?.message).to.contain('target-1#');
  });

  it('a TAPA with nothing open is done at once', () => {
    const scheduler = new Scheduler(createStrategy({ kind: 'fifo' }));
    const env = new Environment(scheduler, world([]), 1);
    const tapa = coreModel().create(env, { name: 'target-1', node: 'worker-1', seed: 1, reply: () => {} });
    let done = 0;
    tapa.shutdown(() => done++);
    scheduler.run({ maxSteps: 100 });
    expect(done).to.equal(1);
  });
});
