import { expect } from 'chai';
import fc from 'fast-check';
import { ChoicesStrategy } from '../../../src/sim/kernel/choices.js';
import { FifoStrategy } from '../../../src/sim/kernel/fifo.js';
import type { Task } from '../../../src/sim/kernel/task.js';
import { programArb, runProgram } from './program.js';

const fakeReady = (n: number): Task[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'immediate', id: i + 1, actor: 'a', label: `t${i}`, run: () => {}, readyAt: 0 }));

describe('sim/kernel choices', () => {
  it('with an empty list, or only zeros, is the fifo schedule', () => {
    fc.assert(
      fc.property(programArb, fc.nat({ max: 50 }), (program, zeros) => {
        const fifo = runProgram(program, new FifoStrategy()).scheduler;
        for (const list of [[], Array<number>(zeros).fill(0)]) {
          const s = runProgram(program, new ChoicesStrategy(list)).scheduler;
          expect(s.log).to.deep.equal(fifo.log);
          expect(s.choices).to.deep.equal(fifo.choices);
        }
      }),
    );
  });

  it('wraps out-of-range values modulo the ready count, then takes the first task', () => {
    const c = new ChoicesStrategy([5, 7, -1, 2]);
    expect(c.choose(fakeReady(2))).to.equal(1);
    expect(c.choose(fakeReady(3))).to.equal(1);
    expect(c.choose(fakeReady(3))).to.equal(2);
    expect(c.choose(fakeReady(1))).to.equal(0);
    expect(c.choose(fakeReady(4))).to.equal(0);
    expect(c.choose(fakeReady(4))).to.equal(0);
  });

  it('turns any list into a valid schedule whose choices are the list modulo the ready counts, which the scheduler tells', () => {
    fc.assert(
      fc.property(programArb, fc.array(fc.nat()), (program, list) => {
        const sizes: number[] = [];
        const strategy = new ChoicesStrategy(list);
        const spy = {
          name: strategy.name,
          choose: (ready: readonly Task[]): number => {
            sizes.push(ready.length);
            return strategy.choose(ready);
          },
        };
        const s = runProgram(program, spy).scheduler;
        expect(s.choices).to.deep.equal(sizes.map((n, i) => (list[i] ?? 0) % n));
        expect(s.readyCounts).to.deep.equal(sizes);
      }),
    );
  });

  it('rejects values that are not integers', () => {
    expect(() => new ChoicesStrategy([0, 1.5])).to.throw(RangeError);
    expect(() => new ChoicesStrategy([NaN])).to.throw(RangeError);
  });
});
