import { expect } from 'chai';
import { TRACES_SEPARATOR } from '../../../src/sim/goroutine/index.js';
import { hunt } from '../../../src/sim/explore/hunt.js';
import { replay } from '../../../src/sim/explore/replay.js';
import { parseTrace } from '../../../src/sim/explore/trace.js';
import { DEFAULTS, runScenario } from '../../../src/sim/harness/run.js';
import type { Latencies, Scenario, Step } from '../../../src/sim/harness/scenario.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { heldRetryModel } from './held-retry.js';
import { noDelayRetryModel } from './no-delay-retry.js';

// Models of older Go TAPAs, written as a Meridio developer would: v1.1.4's pieces, with
// the one piece that differed replaced.

const NETWORK: Latencies = {
  nsp: { minMs: 1, spreadMs: 4, tailPermille: 20, tailMs: 500 },
  nsm: { minMs: 1, spreadMs: 4, tailPermille: 20, tailMs: 500 },
};

/** NSM fails every Request for 9 s while the application opens a stream, closes it, and opens it again twice. */
const NSM_DOWN: readonly Step[] = [
  { at: 0, kind: 'nsmErrors', a: 0, b: 0, c: 8 },
  { at: 100, kind: 'open', a: 0, b: 0, c: 0 },
  { at: 1_500, kind: 'close', a: 0, b: 0, c: 0 },
  { at: 2_500, kind: 'open', a: 0, b: 0, c: 0 },
  { at: 3_000, kind: 'open', a: 0, b: 0, c: 0 },
];

const world = (steps: readonly Step[], latency?: Latencies): Scenario => ({
  tapas: 1,
  conduits: 2,
  streams: 2,
  maxTargets: 4,
  faultyProxy: false,
  steps,
  ...(latency ? { latency } : {}),
});

describe('sim: models of older Go TAPAs (test fixtures on the modelling API)', function () {
  this.timeout(300_000);

  it('a no-delay retry loop against a failing NSM moves the clock (each Request takes its time) and the run ends with a verdict', () => {
    const r = runScenario(world(NSM_DOWN, NETWORK), { model: noDelayRetryModel, strategy: { kind: 'random', seed: 1 }, seed: 1 });
    expect(r.failure?.message ?? 'passed').to.not.contain('still busy');
    expect(r.log.length).to.be.below(DEFAULTS.maxSteps);
    // The loop ran through the whole 9 s window, one Request after another.
    const requests = r.log.filter((e) => e.actor === 'nsm' && e.label.includes('NSM Request')).map((e) => e.time);
    expect(requests.length).to.be.above(100);
    expect(requests.at(-1)! - requests[0]!).to.be.above(8_000);
    // Without latency the same loop spins at one instant until the step budget runs out.
    const spun = runScenario(world(NSM_DOWN), { model: noDelayRetryModel, strategy: { kind: 'random', seed: 1 }, seed: 1 });
    expect(spun.failure?.message).to.contain('still busy');
  });

  it('a lock held across a failing retry loop is a stall, reported with the waiter, the holder and a goroutine dump', () => {
    const signatures = new Set<string>();
    for (let seed = 1; seed <= 5; seed++) {
      const r = runScenario(world(NSM_DOWN, NETWORK), { model: heldRetryModel, strategy: { kind: 'random', seed }, seed });
      expect(r.failure?.kind, `seed ${seed}`).to.equal('stall');
      const message = r.failure!.message;
      expect(message).to.match(/has waited \d+ ms for cc\.ctxMu/);
      expect(message).to.match(/cc\.ctxMu is held by target-1\/trench\.\(\*conduitConnect\)\.connect#\d+, which keeps retrying/);
      expect(message).to.contain(TRACES_SEPARATOR);
      expect(message.slice(message.indexOf(TRACES_SEPARATOR))).to.contain('trench.(*conduitConnect).disconnect');
      // Found by the time NSM recovers (9 s in) and the holder's next retry succeeds: the stall would clear by itself.
      expect(r.failure!.time).to.be.below(9_000 + 2_000);
      signatures.add(r.failure!.signature);
    }
    expect([...signatures]).to.deep.equal([
      'stall: sync.(*Mutex).Lock < trench.(*conduitConnect).disconnect < trench.(*Trench).RemoveConduit < tap.(*Tap).Close.func1' +
        ' held by sync.(*Mutex).Lock < trench.(*conduitConnect).connect',
    ]);
  });

  it('v1.1.4 retries outside the lock: the same run is no stall', () => {
    const r = runScenario(world(NSM_DOWN, NETWORK), {
      model: MODELS.get('legacy-v1.1.4')!,
      strategy: { kind: 'random', seed: 1 },
      seed: 1,
    });
    expect(r.failure).to.equal(undefined);
  });

  it('an ordinary slow multi-RPC Close (every message up to 1 s late) is neither a stall nor a hang', () => {
    const slow: Latencies = {
      nsp: { minMs: 100, spreadMs: 400, tailPermille: 500, tailMs: 1_000 },
      nsm: { minMs: 100, spreadMs: 400, tailPermille: 500, tailMs: 1_000 },
    };
    const steps: Step[] = [
      { at: 0, kind: 'openAll', a: 0, b: 0, c: 0 },
      { at: 10_000, kind: 'closeAll', a: 0, b: 0, c: 0 },
      { at: 10_500, kind: 'open', a: 0, b: 1, c: 1 },
      { at: 11_000, kind: 'close', a: 0, b: 1, c: 1 },
      { at: 11_500, kind: 'openAll', a: 0, b: 0, c: 0 },
    ];
    for (const model of [MODELS.get('legacy-v1.1.4')!, heldRetryModel]) {
      for (let seed = 1; seed <= 3; seed++) {
        const r = runScenario(world(steps, slow), { model, strategy: { kind: 'random', seed }, seed });
        expect(r.failure, `${model.name} seed ${seed}: ${r.failure?.message}`).to.equal(undefined);
      }
    }
  });

  // Measured over the default budget (1,000 runs, portfolio, --keep-going): a stall bucket for
  // 8 of hunt seeds 1..10; the inherited #578 deadlock is found first on every seed, hence
  // --keep-going. Here one seed whose stall comes early, to keep the test short.
  it('hunt --keep-going finds the stall next to the inherited #578 deadlock, and its counterexample replays as a stall', () => {
    const result = hunt({ model: heldRetryModel, strategy: 'portfolio', runs: 100, seed: 9, maxFailures: Infinity });
    const stall = result.buckets.find((b) => b.kind === 'stall');
    expect(stall?.signature).to.contain('trench.(*conduitConnect).disconnect');
    expect(result.buckets.map((b) => b.kind)).to.include('deadlock');
    const outcome = replay(parseTrace(JSON.stringify(stall!.trace), [heldRetryModel.name]), heldRetryModel);
    expect(outcome.kind === 'failed' && outcome.failure.kind).to.equal('stall');
  });

  // The bar: the default budget, ten hunt seeds, eight must report the stall. Its
  // inherited #578 deadlock (and kin) are known bugs here, passed over as `--ignore-file` would
  // pass over their signatures, so each hunt stops at its first stall (about half the runs of
  // a --keep-going hunt over the whole plan; the keep-going test above shows both together).
  it('a hunt past the known deadlocks reports the stall, with a dump, within the default budget for at least 8 of hunt seeds 1..10', function () {
    this.timeout(600_000);
    const found: number[] = [];
    const missed: number[] = [];
    // Seeds are hunted until the verdict is known: eight found, or three missed.
    for (let seed = 1; seed <= 10 && found.length < 8 && missed.length < 3; seed++) {
      const result = hunt({ model: heldRetryModel, strategy: 'portfolio', runs: 1_000, seed, ignore: new KnownDeadlocks() });
      const reported = result.kind === 'stall' && (result.trace?.failure?.message ?? '').includes(TRACES_SEPARATOR);
      (reported ? found : missed).push(seed);
    }
    expect(found.length, `seeds that found it: ${found.join(', ')}; missed: ${missed.join(', ')}`).to.be.at.least(8);
  });
});

/** Every deadlock's signature, as a user's ignore file listing them all would hold. */
class KnownDeadlocks extends Set<string> {
  override has(signature: string): boolean {
    return signature.startsWith('deadlock: ');
  }
}
