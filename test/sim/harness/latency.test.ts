import { expect } from 'chai';
import type { Model, TapaUnderTest } from '../../../src/sim/harness/model.js';
import { runScenario } from '../../../src/sim/harness/run.js';
import type { Latencies, Scenario } from '../../../src/sim/harness/scenario.js';
import { coreModel } from '../../../src/sim/models/core.js';

const LAN: Latencies = {
  nsp: { minMs: 1, spreadMs: 4, tailPermille: 30, tailMs: 500 },
  nsm: { minMs: 1, spreadMs: 4, tailPermille: 30, tailMs: 500 },
};

/**
 * A TAPA written like Go code with a retry loop that does not sleep: Tap.Open asks NSM
 * for a connection until it gets one.
 */
const eagerRetry: Model = {
  name: 'eager-retry',
  converges: false,
  create(env, spec): TapaUnderTest {
    let tries = 0;
    const request = (done: () => void): void =>
      env.request(
        spec.name,
        `${spec.name} NSM Request #${++tries}`,
        {
          connection: {
            id: `${spec.name}-c`,
            networkService: 'proxy.a',
            labels: {},
            networkServiceEndpointName: '',
            payload: 'ETHERNET',
            state: 'UP',
          },
          mechanismPreferences: [],
        },
        (outcome) => (outcome.ok ? done() : request(done)),
      );
    return {
      name: spec.name,
      open: (id) => request(() => spec.reply(id)),
      close: (id) => spec.reply(id),
      watch: () => {},
      shutdown: (done) => done(),
      invariants: () => [],
      divergences: () => [],
      holds: () => true,
    };
  },
};

const failingNsm = (latency?: Latencies): Scenario => ({
  tapas: 1,
  conduits: 1,
  streams: 1,
  maxTargets: 1,
  faultyProxy: false,
  // NSM fails every Request for 5 s from the start; the Open comes at once.
  steps: [
    { at: 0, kind: 'nsmErrors', a: 0, b: 0, c: 4 },
    { at: 1, kind: 'open', a: 0, b: 0, c: 0 },
  ],
  ...(latency ? { latency } : {}),
});

describe('sim/harness latency', () => {
  it('a no-delay retry loop against a failing peer moves the clock, and ends when the peer recovers', () => {
    const run = runScenario(failingNsm(LAN), { model: eagerRetry, strategy: { kind: 'fifo' }, seed: 1, hangMs: 60_000 });
    expect(run.failure).to.equal(undefined);
    const answered = run.log.find((e) => e.label.endsWith('-> ok'));
    expect(answered?.time).to.be.within(5_000, 6_000);
    // Each try takes two messages of at least 1 ms: a few thousand steps, not a spin.
    expect(run.log.length).to.be.below(6_000);
  });

  it('without latency the same loop spins at one instant (what it replaces)', () => {
    const run = runScenario(failingNsm(), { model: eagerRetry, strategy: { kind: 'fifo' }, seed: 1, maxSteps: 5_000, hangMs: 60_000 });
    expect(run.failure?.message).to.match(/still busy after 5000 steps/);
    expect(run.time).to.equal(1);
  });

  it('the same scenario, strategy and seed give the same log; another seed draws other times', () => {
    const scenario: Scenario = {
      tapas: 2,
      conduits: 2,
      streams: 2,
      maxTargets: 2,
      faultyProxy: false,
      steps: [
        { at: 0, kind: 'openAll', a: 0, b: 0, c: 0 },
        { at: 0, kind: 'openAll', a: 1, b: 0, c: 0 },
        { at: 5_000, kind: 'nspOutage', a: 0, b: 0, c: 1, inside: [{ at: 300, kind: 'vips', a: 0, b: 0, c: 2 }] },
        { at: 20_000, kind: 'closeAll', a: 1, b: 0, c: 0 },
      ],
      latency: LAN,
    };
    const run = (seed: number) => runScenario(scenario, { model: coreModel(), strategy: { kind: 'random', seed: 3 }, seed });
    const [a, b, c] = [run(5), run(5), run(6)];
    expect(a.failure).to.equal(undefined);
    expect(JSON.stringify(a.log)).to.equal(JSON.stringify(b.log));
    expect(a.choices).to.deep.equal(b.choices);
    expect(JSON.stringify(a.log.map((e) => e.time))).to.not.equal(JSON.stringify(c.log.map((e) => e.time)));
  });
});
