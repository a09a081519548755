import { expect } from 'chai';
import fc from 'fast-check';
import { RandomStrategy } from '../../../src/sim/kernel/random.js';
import { Divergence, ReplayStrategy } from '../../../src/sim/kernel/replay.js';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import { programArb, runProgram } from './program.js';

const noop = (): void => {};

describe('sim/kernel replay', () => {
  it("reproduces a random run's log and choices exactly, using every choice", () => {
    fc.assert(
      fc.property(programArb, fc.integer(), (program, seed) => {
        const original = runProgram(program, new RandomStrategy(seed)).scheduler;
        const replay = new ReplayStrategy(original.choices);
        const again = runProgram(program, replay).scheduler;
        expect(again.log).to.deep.equal(original.log);
        expect(again.choices).to.deep.equal(original.choices);
        expect(replay.remaining).to.equal(0);
        replay.assertComplete();
      }),
    );
  });

  it('throws Divergence when a recorded index is out of range', () => {
    const s = new Scheduler(new ReplayStrategy([1, 2]));
    s.spawn('nsp', 'answer register', noop);
    s.spawn('tapa-1', 'deliver nspTargets op 7', noop);
    s.step();
    let error: unknown;
    try {
      s.step();
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Divergence).and.instanceOf(Error);
    const divergence = error as Divergence;
    expect(divergence.name).to.equal('Divergence');
    expect(divergence.step).to.equal(1);
    expect(divergence.message).to.equal(
      'replay diverged at step 1: the recording chose index 2, out of range for 1 ready task (nsp: answer register)',
    );
    // Nothing else was picked in its place.
    expect(s.log).to.have.length(1);
    expect(s.choices).to.deep.equal([1]);
  });

  it('throws Divergence when the recording runs out while tasks are ready', () => {
    const s = new Scheduler(new ReplayStrategy([0]));
    s.spawn('app', 'open', noop);
    s.spawn('app', 'close', noop);
    s.step();
    expect(() => s.step()).to.throw(Divergence, /step 1: the recording ran out after 1 choices, with 1 ready task \(app: close\)/);
  });

  it('reports leftover choices when the world went idle early', () => {
    const replay = new ReplayStrategy([0, 0, 0]);
    const s = new Scheduler(replay);
    s.spawn('app', 'open', noop);
    expect(s.run({ maxSteps: 10 })).to.equal('idle');
    expect(replay.remaining).to.equal(2);
    expect(() => replay.assertComplete()).to.throw(Divergence, /step 1: the run stopped but the recording has 2 more choices/);
  });

  it('detects a changed world on a mutated recording', () => {
    fc.assert(
      fc.property(programArb, fc.integer(), fc.nat(), (program, seed, where) => {
        const original = runProgram(program, new RandomStrategy(seed)).scheduler;
        const choices = [...original.choices];
        const at = where % choices.length;
        // Out of range for whatever was ready at that step.
        choices[at] = 1000;
        try {
          runProgram(program, new ReplayStrategy(choices));
          expect.fail('replay should have diverged');
        } catch (e) {
          expect(e).to.be.instanceOf(Divergence);
          expect((e as Divergence).step).to.equal(at);
        }
        const truncated = original.choices.slice(0, at);
        expect(() => runProgram(program, new ReplayStrategy(truncated))).to.throw(Divergence);
      }),
    );
  });

  it('copies the recording, so later edits to the array cannot change the replay', () => {
    const choices = [0];
    const replay = new ReplayStrategy(choices);
    choices[0] = 5;
    const s = new Scheduler(replay);
    s.spawn('app', 'open', noop);
    expect(s.step()?.label).to.equal('open');
  });
});
