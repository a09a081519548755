import { expect } from 'chai';
import fc from 'fast-check';
import {
  APP_STEPS,
  MAX_WINDOW_MS,
  scenarioArb,
  timeline,
  windowMs,
  type Scenario,
  type ScenarioOptions,
  type Step,
  type StepKind,
} from '../../../src/sim/harness/scenario.js';

const draw = (n: number, options: ScenarioOptions = {}, seed = 17): Scenario[] => fc.sample(scenarioArb(options), { seed, numRuns: n });
const all = (s: Scenario): Step[] => s.steps.flatMap((st) => [st, ...(st.inside ?? [])]);

/**
 * The combination behind a stall of an old Go TAPA (issue 17): an NSM failure window with
 * a configuration push, an Open and a Close inside it.
 */
function stallCombination(s: Scenario): boolean {
  const steps = timeline(s);
  const during = (w: Step, kinds: readonly StepKind[]): boolean =>
    steps.some((x) => kinds.includes(x.kind) && x.at >= w.at && x.at < w.at + windowMs(w));
  return steps.some(
    (w) =>
      w.kind === 'nsmErrors' && during(w, ['vips', 'streamConfig']) && during(w, ['open', 'openAll']) && during(w, ['close', 'closeAll']),
  );
}

describe('sim/harness scenarios', () => {
  it('swarm runs with fault windows draw the stall combination often; without the swarm it is rare', () => {
    const swarm = draw(4_000).filter(stallCombination).length / 4_000;
    const plain = draw(4_000, { swarm: false }).filter(stallCombination).length / 4_000;
    // 0.02 % before the swarm (issue 17); at 1 %, 1,000 runs hold it for all but 0.004 % of seeds.
    expect(swarm).to.be.at.least(0.01);
    expect(plain).to.be.below(swarm / 5);
  });

  it('some runs concentrate on few kinds at high density', () => {
    const dense = draw(1_000).filter((s) => {
      const steps = all(s);
      const span = Math.max(...steps.map((x) => x.at)) - Math.min(...steps.map((x) => x.at));
      return steps.length >= 8 && new Set(steps.map((x) => x.kind)).size <= 4 && span <= 30_000;
    });
    expect(dense.length).to.be.at.least(20);
  });

  it('keeps the options as constraints: kinds, faults, horizon, sizes, and the switches', () => {
    for (const s of draw(300, { kinds: ['open', 'nsmErrors', 'vips'], maxSteps: 6, horizonMs: 9_000, maxTapas: 2 })) {
      expect(all(s).every((x) => ['open', 'nsmErrors', 'vips'].includes(x.kind))).to.equal(true);
      expect(all(s).length).to.be.at.most(6);
      expect(s.steps.every((x) => x.at <= 9_000)).to.equal(true);
      expect(s.tapas).to.be.at.most(2);
      for (const w of s.steps) for (const x of w.inside ?? []) expect(x.at).to.be.below(windowMs(w));
    }
    for (const s of draw(200, { faults: false })) expect(all(s).every((x) => APP_STEPS.includes(x.kind))).to.equal(true);
    for (const s of draw(200, { swarm: false, latency: false })) {
      expect(s.steps.every((x) => x.inside === undefined)).to.equal(true);
      expect(s).to.not.have.property('latency');
    }
    expect(draw(50).every((s) => s.latency !== undefined && s.latency.nsp.minMs >= 1)).to.equal(true);
  });

  it('shrinks any drawn scenario, windows and latency included, towards fewer steps and no latency', () => {
    const arb = scenarioArb();
    for (const s of draw(100)) {
      expect(arb.canShrinkWithoutContext(s)).to.equal(true);
      const smaller = [...arb.shrink(s, undefined).take(200)].map((v) => v.value);
      expect(smaller.length).to.be.greaterThan(0);
      if (s.steps.length > 1) expect(smaller.some((x) => all(x).length < all(s).length)).to.equal(true);
    }
    // Taking every first candidate ends at the smallest scenario: one plain step, no latency.
    for (let s of draw(5, {}, 3)) {
      for (let next = [...arb.shrink(s, undefined).take(1)][0]; next; next = [...arb.shrink(s, undefined).take(1)][0]) s = next.value;
      expect(s).to.deep.equal({
        tapas: 1,
        conduits: 1,
        streams: 1,
        maxTargets: 1,
        faultyProxy: false,
        steps: [{ at: 0, kind: 'open', a: 0, b: 0, c: 0 }],
      });
    }
  });

  it('a window`s steps happen inside it, in time order with the rest', () => {
    const s: Scenario = {
      tapas: 1,
      conduits: 1,
      streams: 1,
      maxTargets: 1,
      faultyProxy: false,
      steps: [
        { at: 5_000, kind: 'open', a: 0, b: 0, c: 0 },
        {
          at: 2_000,
          kind: 'nsmErrors',
          a: 0,
          b: 0,
          c: 9,
          inside: [
            { at: 4_000, kind: 'close', a: 0, b: 0, c: 0 },
            { at: 1_000, kind: 'vips', a: 0, b: 0, c: 1 },
          ],
        },
      ],
    };
    expect(timeline(s).map((x) => [x.at, x.kind])).to.deep.equal([
      [2_000, 'nsmErrors'],
      [3_000, 'vips'],
      [5_000, 'open'],
      [6_000, 'close'],
    ]);
    expect(windowMs(s.steps[1]!)).to.equal(MAX_WINDOW_MS);
    // A step outside the window's list still counts when it falls inside the window.
    expect(stallCombination(s)).to.equal(true);
    expect(stallCombination({ ...s, steps: [{ ...s.steps[0]!, at: 13_000 }, s.steps[1]!] })).to.equal(false);
  });
});
