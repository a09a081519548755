import { expect } from 'chai';
import fc from 'fast-check';
import { RandomStrategy } from '../../../src/sim/kernel/random.js';
import type { Task } from '../../../src/sim/kernel/task.js';
import { chain, programArb, runProgram, type Program } from './program.js';

const fakeReady = (n: number): Task[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'immediate', id: i + 1, actor: 'a', label: `t${i}`, run: () => {}, readyAt: 0 }));

/** Four actors each with a chain of five steps: plenty of choice points. */
const busy: Program = ['tapa-1', 'tapa-2', 'nsp', 'nsm'].map((actor) => chain(actor, 5));

describe('sim/kernel random', () => {
  it('is deterministic per seed', () => {
    fc.assert(
      fc.property(programArb, fc.integer(), (program, seed) => {
        const a = runProgram(program, new RandomStrategy(seed)).scheduler;
        const b = runProgram(program, new RandomStrategy(seed)).scheduler;
        expect(b.log).to.deep.equal(a.log);
        expect(b.choices).to.deep.equal(a.choices);
      }),
    );
  });

  it('gives different schedules for different seeds', () => {
    const logs = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      logs.add(JSON.stringify(runProgram(busy, new RandomStrategy(seed)).scheduler.log));
    }
    // 20! / (5!)^4 possible interleavings; 20 seeds colliding would mean the seed is ignored.
    expect(logs.size).to.equal(20);
  });

  it('stays in range and is close to uniform', () => {
    const r = new RandomStrategy(42);
    const ready = fakeReady(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[r.choose(ready)]!++;
    expect(counts.reduce((a, b) => a + b)).to.equal(3000);
    for (const c of counts) expect(c).to.be.within(900, 1100);
    expect(r.choose(fakeReady(1))).to.equal(0);
  });

  it('names its seed', () => {
    expect(new RandomStrategy(7).name).to.equal('random(seed=7)');
  });
});
