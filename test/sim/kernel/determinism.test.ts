import { expect } from 'chai';
import fc from 'fast-check';
import { ReplayStrategy } from '../../../src/sim/kernel/replay.js';
import { createStrategy, type StrategySpec } from '../../../src/sim/kernel/strategy-spec.js';
import { programArb, runProgram } from './program.js';

const specArb: fc.Arbitrary<StrategySpec> = fc.oneof(
  fc.constant({ kind: 'fifo' as const }),
  fc.record({ kind: fc.constant('random' as const), seed: fc.integer() }),
  fc.record({
    kind: fc.constant('pct' as const),
    seed: fc.integer(),
    depth: fc.integer({ min: 1, max: 5 }),
    maxSteps: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({ kind: fc.constant('choices' as const), choices: fc.array(fc.nat({ max: 10 })) }),
);

describe('sim/kernel determinism', () => {
  it('runs a program the same way twice, and its recorded choices replay it exactly', () => {
    fc.assert(
      fc.property(programArb, specArb, fc.constantFrom(0, 100, 1000), (program, spec, maxLatencyMs) => {
        const first = runProgram(program, createStrategy(spec), { maxLatencyMs });
        const second = runProgram(program, createStrategy(spec), { maxLatencyMs });
        expect(first.stop).to.equal('idle');
        expect(second.scheduler.log).to.deep.equal(first.scheduler.log);
        expect(second.scheduler.choices).to.deep.equal(first.scheduler.choices);

        const replay = new ReplayStrategy(first.scheduler.choices);
        const replayed = runProgram(program, replay, { maxLatencyMs });
        expect(replayed.scheduler.log).to.deep.equal(first.scheduler.log);
        replay.assertComplete();
      }),
      { numRuns: 300 },
    );
  });

  it('never lets a message wait longer than maxLatencyMs, fires timers on time, and never turns the clock back', () => {
    fc.assert(
      fc.property(programArb, specArb, fc.constantFrom(0, 100, 1000), (program, spec, maxLatencyMs) => {
        const { scheduler, waits, lateTimers } = runProgram(program, createStrategy(spec), { maxLatencyMs });
        for (const w of waits) expect(w).to.be.within(0, maxLatencyMs);
        expect(lateTimers).to.equal(0);
        const times = scheduler.log.map((e) => e.time);
        for (let i = 1; i < times.length; i++) expect(times[i]).to.be.at.least(times[i - 1]!);
        expect(scheduler.log.map((e) => e.seq)).to.deep.equal(times.map((_, i) => i));
        expect(scheduler.choices).to.have.length(scheduler.log.length);
      }),
      { numRuns: 300 },
    );
  });
});
