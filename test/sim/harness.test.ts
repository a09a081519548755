import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hunt, plan, record, runSeed } from '../../src/sim/explore/hunt.js';
import { MODELS } from '../../src/sim/models/index.js';
import { tapaProperty } from '../../src/sim/explore/property.js';
import { replay } from '../../src/sim/explore/replay.js';
import { runScenario } from '../../src/sim/harness/run.js';
import { reporterScenario, type Scenario } from '../../src/sim/harness/scenario.js';
import { parseTrace, TraceError } from '../../src/sim/explore/trace.js';
import { scratchDir } from '../support/scratch.js';

const core = MODELS.get('core')!;

/** Two TAPAs, one conduit: both open, NSM moves one of them, then an NSP outage. */
const SCENARIO: Scenario = {
  tapas: 2,
  conduits: 1,
  streams: 2,
  maxTargets: 4,
  faultyProxy: false,
  steps: [
    { at: 0, kind: 'openAll', a: 0, b: 0, c: 0 },
    { at: 100, kind: 'open', a: 1, b: 0, c: 1 },
    { at: 20_000, kind: 'heal', a: 0, b: 0, c: 0 },
    { at: 40_000, kind: 'nspOutage', a: 0, b: 0, c: 4 },
  ],
};

describe('sim: runs', () => {
  it('the same seed and strategy give a byte-identical event log', () => {
    for (const strategy of [{ kind: 'random', seed: 3 }, { kind: 'pct', seed: 3, depth: 3 }, { kind: 'fifo' }] as const) {
      const a = runScenario(SCENARIO, { model: core, strategy, seed: 9 });
      const b = runScenario(SCENARIO, { model: core, strategy, seed: 9 });
      expect(JSON.stringify(b.log)).to.equal(JSON.stringify(a.log));
      expect(a.failure, strategy.kind).to.equal(undefined);
    }
  });

  it('different seeds explore different schedules', () => {
    const a = runScenario(SCENARIO, { model: core, strategy: { kind: 'random', seed: 1 }, seed: 1 });
    const b = runScenario(SCENARIO, { model: core, strategy: { kind: 'random', seed: 2 }, seed: 1 });
    expect(JSON.stringify(a.log)).to.not.equal(JSON.stringify(b.log));
  });

  it('a recorded run replays with an identical log, and a tampered log is a divergence', () => {
    const trace = record(core, SCENARIO, { kind: 'random', seed: 5 }, 5);
    expect(replay(trace, core)).to.deep.include({ kind: 'passed' });
    const tampered = { ...trace, log: trace.log.map((e, i) => (i === 7 ? { ...e, label: 'something else' } : e)) };
    const outcome = replay(tampered, core);
    expect(outcome.kind).to.equal('diverged');
    expect(outcome.kind === 'diverged' && outcome.message).to.contain('step 7');
  });

  it("the #578 reporter's application (open two conduits / close all, every 30 s, faulty proxy) converges under 200 schedules", () => {
    const scenario = reporterScenario(2, 5, [
      { at: 45_000, kind: 'vips', a: 0, b: 0, c: 1 },
      { at: 50_000, kind: 'heal', a: 0, b: 1, c: 0 },
      { at: 95_000, kind: 'vips', a: 0, b: 1, c: 2 },
    ]);
    expect(scenario.steps.filter((s) => s.kind === 'openAll')).to.have.length(6);
    for (let seed = 0; seed < 200; seed++) {
      const strategy = seed % 2 === 0 ? ({ kind: 'random', seed } as const) : ({ kind: 'pct', seed, depth: 3 } as const);
      expect(runScenario(scenario, { model: core, strategy, seed }).failure, `seed ${seed}`).to.equal(undefined);
    }
  });

  it('the plan of a hunt run is a pure function of its seed', () => {
    const seed = runSeed(7, 3);
    expect(plan({ strategy: 'pct' }, seed)).to.deep.equal(plan({ strategy: 'pct' }, seed));
    expect(runSeed(7, 3)).to.not.equal(runSeed(7, 4));
  });
});

describe('sim: traces', () => {
  const good = JSON.stringify(record(core, SCENARIO, { kind: 'fifo' }, 1));
  const names = [...MODELS.keys()];
  it('round-trips through JSON', () => {
    expect(parseTrace(good, names)).to.deep.equal(JSON.parse(good));
  });
  const bad: [string, string, RegExp][] = [
    ['not JSON', '{', /not JSON/],
    ['another format', JSON.stringify({ format: 'x' }), /not a tapa-sim-trace file/],
    ['another version', good.replace('"version":1', '"version":99'), /unknown trace version 99/],
    ['an unknown model', good.replace('"model":"core"', '"model":"nope"'), /unknown model "nope"/],
    ['a bad step', good.replace('"kind":"openAll"', '"kind":"explode"'), /unknown step "explode"/],
    ['a negative choice', good.replace('"choices":[', '"choices":[-1,'), /choices\[0\]/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what} with one clear message`, () => {
      expect(() => parseTrace(text, names)).to.throw(TraceError, message);
    });
  }
});

describe('sim: the checkers bite', function () {
  this.timeout(300_000);
  const cases: [string, string][] = [
    ['broken:silent-after-ip-change', 'hang'],
    ['broken:keeps-old-target', 'invariant'],
    ['broken:reuses-identifier', 'invariant'],
    // NSM's rules: an IP update without the path is a second connection for NSMgr.
    ['broken:new-path-on-update', 'invariant'],
    // The runner's own mistakes, found by the same hunts: the simulator runs the production runner.
    ['broken:runner-gate-leak', 'convergence'],
    ['broken:runner-timer-slots', 'convergence'],
    ['broken:runner-watch-routing', 'convergence'],
  ];
  for (const [name, kind] of cases) {
    it(`${name} is found within 2,000 runs as ${kind}; its shrunk counterexample replays and fails again`, () => {
      const result = hunt({ model: MODELS.get(name)!, strategy: 'random', runs: 2_000, seed: 1 });
      expect(result.found).to.equal(true);
      expect(result.kind).to.equal(kind);
      const trace = result.trace!;
      expect(trace.scenario.steps.length).to.be.at.most(result.original!.steps);
      const outcome = replay(parseTrace(JSON.stringify(trace), [...MODELS.keys()]), MODELS.get(name)!);
      expect(outcome).to.deep.include({ kind: 'failed' });
      expect(outcome.kind === 'failed' && outcome.failure.kind).to.equal(kind);
    });
  }
});

describe('sim: the core under generated scenarios', function () {
  this.timeout(600_000);
  it('1,000 generated scenarios and schedules: every Tap call answered, every run converges, no invariant broken', () => {
    const out = scratchDir('tapa-property-');
    fc.assert(tapaProperty({ model: 'core', out }), { numRuns: 1_000 });
  });

  it('tapaProperty writes the smallest failing run as a replayable trace', () => {
    const out = scratchDir('tapa-property-');
    let failure: unknown;
    try {
      fc.assert(tapaProperty({ model: 'broken:reuses-identifier', out }), { numRuns: 2_000, seed: 1 });
    } catch (err) {
      failure = err;
    }
    const cause = (failure as { cause?: Error } | undefined)?.cause;
    expect(cause?.message).to.match(/^invariant: two ENABLED targets[\s\S]*tapa-sim replay/);
    const trace = parseTrace(readFileSync(join(out, 'tapa-counterexample.json'), 'utf8'), [...MODELS.keys()]);
    expect(replay(trace, MODELS.get(trace.model)!)).to.deep.include({ kind: 'failed' });
  });
});

describe('sim: failure signatures', function () {
  this.timeout(120_000);

  /** The signatures of the first `count` failing runs of a hunt from `seed`. */
  const signatures = (model: string, strategy: 'random' | 'pct', seed: number, count: number): string[] => {
    const found: string[] = [];
    for (let i = 0; found.length < count && i < 2_000; i++) {
      const runSeedI = runSeed(seed, i);
      const { scenario, strategy: spec } = plan({ strategy }, runSeedI);
      const failure = runScenario(scenario, { model: MODELS.get(model)!, strategy: spec, seed: runSeedI }).failure;
      if (failure) found.push(failure.signature);
    }
    return found;
  };

  it('one bug gives one signature across seeds and scenarios, with no numbers, names or addresses in it', () => {
    for (const model of ['broken:keeps-old-target', 'broken:reuses-identifier']) {
      const seen = new Set([...signatures(model, 'random', 1, 2), ...signatures(model, 'random', 2, 2)]);
      expect([...seen], model).to.have.length(1);
      expect([...seen][0], model).to.not.match(/\d|target-|load-balancer-|stream-[a-z]/);
    }
  });

  it('different bugs give different signatures', () => {
    const stale = signatures('broken:keeps-old-target', 'random', 1, 1)[0]!;
    const shared = signatures('broken:reuses-identifier', 'random', 1, 1)[0]!;
    expect(stale).to.match(/^invariant: <tapa>: stale target <ip>(,<ip>)* in <conduit>\/<stream>$/);
    expect(shared).to.match(/^invariant: two ENABLED targets with identifier/);
    expect(stale).to.not.equal(shared);
  });

  it("the #578 deadlock's signature is its cycle's parked stacks, the same whichever seed finds it", () => {
    const seen = new Set([...signatures('legacy-v1.1.4', 'pct', 1, 1), ...signatures('legacy-v1.1.4', 'pct', 7, 1)]);
    expect([...seen]).to.have.length(1);
    const [signature] = [...seen];
    expect(signature).to.match(/^deadlock: /);
    expect(signature).to.contain('sync.(*Mutex).Lock < conduit.(*Conduit).GetIPs < ');
    expect(signature).to.contain('sync.(*WaitGroup).Wait < conduit.(*streamManager).Stop < ');
    expect(signature).to.not.match(/#\d|target-/);
  });
});

describe('sim: convergence of a big world', function () {
  this.timeout(120_000);

  // Issue 16, item 9b: 16 TAPAs opening 2 x 16 streams each, behind an NSP that restarts
  // empty and then goes away for 6 s, on a network with a latency tail. Something is always
  // on its way (token and target refreshes of 16 TAPAs, late messages): the world was never at
  // rest, and convergence, judged only at rest, failed after 90 s though the world had converged
  // 26 s after the outage, as in the smaller worlds. Now it is also judged at looks a drain apart.
  it('is judged converged though never at rest, as soon as a smaller world', () => {
    const latency = {
      nsp: { minMs: 1, spreadMs: 4, tailPermille: 20, tailMs: 500 },
      nsm: { minMs: 1, spreadMs: 4, tailPermille: 20, tailMs: 500 },
    };
    const world = (tapas: number, streams: number): Scenario => ({
      tapas,
      conduits: 2,
      streams,
      maxTargets: 4,
      faultyProxy: false,
      latency,
      steps: [
        ...Array.from({ length: tapas }, (_, a) => ({ at: a * 10, kind: 'openAll' as const, a, b: 0, c: 0 })),
        { at: 5_000, kind: 'nspRestart', a: 0, b: 0, c: 1 },
        { at: 6_000, kind: 'nspOutage', a: 0, b: 0, c: 5 },
      ],
    });
    const model = MODELS.get('core:tokens')!;
    const big = runScenario(world(16, 16), { model, strategy: { kind: 'random', seed: 1 }, seed: 1, maxSteps: 1_000_000 });
    const small = runScenario(world(2, 4), { model, strategy: { kind: 'random', seed: 1 }, seed: 1 });
    expect(big.failure).to.equal(undefined);
    expect(small.failure).to.equal(undefined);
    // Within one refresh round (30 s) of the small world.
    expect(big.time - small.time).to.be.below(30_000);
  });
});
