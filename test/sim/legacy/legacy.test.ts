import { expect } from 'chai';
import { hunt, plan, runSeed, shrink, SHRINK_MAX_CHOICES } from '../../../src/sim/explore/hunt.js';
import { replay } from '../../../src/sim/explore/replay.js';
import { parseTrace } from '../../../src/sim/explore/trace.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { runScenario } from '../../../src/sim/harness/run.js';
import { reporterScenario, type Scenario } from '../../../src/sim/harness/scenario.js';
import { blockedSignature, parseTraces, TRACES_SEPARATOR } from '../../../src/sim/goroutine/index.js';

const legacy = MODELS.get('legacy-v1.1.4')!;

describe('sim/models legacy-v1.1.4 (lock-level model of the Go TAPA)', () => {
  it('is registered', () => {
    expect(legacy).to.not.equal(undefined);
    expect(legacy.name).to.equal('legacy-v1.1.4');
  });

  it('hunt (portfolio, the default) finds the #578 deadlock in the generic scenario space for seeds 1..5', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const result = hunt({ model: legacy, strategy: 'portfolio', runs: 300, seed });
      expect(result.found, `seed ${seed}`).to.equal(true);
      expect(result.kind, `seed ${seed}`).to.equal('deadlock');
      expect(result.trace!.failure!.message, `seed ${seed}`).to.contain('conduit.(*Conduit).GetIPs');
    }
  });

  it('hunt --lockdep reports the stream.mu -> conduit.mu -> (WaitGroup) -> stream.mu order as potential-deadlock from a run that did not deadlock', () => {
    // In the scenario space before swarm and latency, where random seed 5 meets the order early.
    const result = hunt({
      model: legacy,
      strategy: 'random',
      runs: 50,
      seed: 5,
      lockdep: true,
      scenarios: { swarm: false, latency: false },
    });
    expect(result.kind).to.equal('potential-deadlock');
    const message = result.trace!.failure!.message;
    expect(message).to.contain('lock-order cycle conduit.mu -> stream.mu -> conduit.mu');
    expect(message).to.contain('while waiting on sm.Stop.wg');
    expect(message).to.contain('conduit.(*Conduit).GetIPs');
    // The same core hunt has no locks to order.
    expect(hunt({ model: MODELS.get('core')!, strategy: 'random', runs: 50, seed: 1, lockdep: true }).found).to.equal(false);
  });

  it('a deadlock found with more choices than fast-check can shrink is cut from the end, then shrunk like any other', () => {
    // The reporter's application over 3 minutes: pct seed 5 deadlocks after about 1,700 scheduler choices.
    const scenario = reporterScenario(2, 6, [
      { at: 45_000, kind: 'heal', a: 0, b: 0, c: 0 },
      { at: 105_000, kind: 'heal', a: 1, b: 1, c: 0 },
    ]);
    const run = runScenario(scenario, { model: legacy, strategy: { kind: 'pct', seed: 5, depth: 3 }, seed: 5 });
    expect(run.failure?.kind).to.equal('deadlock');
    expect(run.choices.length).to.be.above(SHRINK_MAX_CHOICES);
    const trace = shrink(legacy, scenario, [...run.choices], 5, (r) => r.failure?.kind === 'deadlock');
    expect(trace.strategy.kind === 'choices' && trace.strategy.choices.length).to.be.at.most(SHRINK_MAX_CHOICES);
    expect(replay(parseTrace(JSON.stringify(trace), [...MODELS.keys()]), legacy)).to.deep.include({ kind: 'failed' });
    expect(trace.failure!.kind).to.equal('deadlock');
  });

  it('runs of the default scenario space deadlock for hunt seeds 1..5 (no shrinking, portfolio)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      let deadlocks = 0;
      for (let i = 0; i < 300 && deadlocks === 0; i++) {
        const s = runSeed(seed, i);
        const { scenario, strategy } = plan({ strategy: 'portfolio' }, s);
        if (runScenario(scenario, { model: legacy, strategy, seed: s }).failure?.kind === 'deadlock') deadlocks++;
      }
      expect(deadlocks, `seed ${seed}`).to.be.greaterThan(0);
    }
  });

  const scenario = reporterScenario(1, 4);
  const seed = 8;

  it("deadlocks on the reporter's scenario like the #578 dump", () => {
    const r = runScenario(scenario, { model: legacy, strategy: { kind: 'pct', seed, depth: 3 }, seed });
    expect(r.failure?.kind).to.equal('deadlock');
    const message = r.failure!.message;
    const report = message.slice(0, message.indexOf(TRACES_SEPARATOR));
    // Stream.Open (G-open) waits for conduit.mu in GetIPs; monitorConnection waits in Stop.
    expect(report).to.match(/waits: lock conduit\.mu[^]*?conduit\.\(\*Conduit\)\.GetIPs\n\s+stream\.\(\*Stream\)\.Open/);
    expect(report).to.match(
      /monitorConnection#\d+\n\s+waits: wait sm\.Stop\.wg[^]*?holds: conduit\.mu, sm\.mu\n\s+sync\.\(\*WaitGroup\)\.Wait\n\s+conduit\.\(\*streamManager\)\.Stop/,
    );
    expect(report).to.match(/waits: lock stream\.mu[^]*?stream\.\(\*Stream\)\.Close\n\s+conduit\.\(\*streamRetry\)\.Close/);
    const signature = blockedSignature(parseTraces(message.slice(message.indexOf(TRACES_SEPARATOR))));
    for (const key of ['conduit.(*Conduit).GetIPs', 'conduit.(*streamManager).Stop', 'stream.(*Stream).Close']) {
      expect(signature.has(key), key).to.equal(true);
    }
  });

  it('the core does not fail on the same scenario and schedule seed', () => {
    const r = runScenario(scenario, { model: MODELS.get('core')!, strategy: { kind: 'pct', seed, depth: 3 }, seed });
    expect(r.failure).to.equal(undefined);
  });

  it("shuts down as Go's SIGTERM does: Tap.Delete unregisters every stream and closes every NSM connection, then the process exits", () => {
    const scenario: Scenario = {
      tapas: 1,
      conduits: 2,
      streams: 2,
      maxTargets: 4,
      faultyProxy: false,
      steps: [
        { at: 0, kind: 'openAll', a: 0, b: 0, c: 0 },
        { at: 20_000, kind: 'shutdown', a: 0, b: 0, c: 0 },
      ],
    };
    const r = runScenario(scenario, { model: legacy, strategy: { kind: 'random', seed: 1 }, seed: 1 });
    expect(r.failure).to.equal(undefined);
    const after = r.log.filter((e) => e.time >= 20_000);
    const calls = after.filter((e) => e.actor === 'nsp' || e.actor === 'nsm').map((e) => e.label.split(' ').slice(1, 4).join(' '));
    expect(calls.filter((c) => c.startsWith('unregister')).sort()).to.deep.equal([
      'unregister stream-a1 172.16.0.2/24,fd00::2/64',
      'unregister stream-a2 172.16.0.2/24,fd00::2/64',
      'unregister stream-b1 172.16.1.2/24,fd00:1::2/64',
      'unregister stream-b2 172.16.1.2/24,fd00:1::2/64',
    ]);
    expect(calls.filter((c) => c.startsWith('NSM Close')).sort()).to.deep.equal([
      'NSM Close load-balancer-a1',
      'NSM Close load-balancer-b1',
    ]);
    // main returns last: no goroutine of the TAPA runs after it.
    expect(r.log.filter((e) => e.actor.startsWith('target-1/')).at(-1)!.actor).to.match(/^target-1\/main\.main#\d+$/);
  });
});
