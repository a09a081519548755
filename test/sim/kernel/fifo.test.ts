import { expect } from 'chai';
import fc from 'fast-check';
import { FifoStrategy } from '../../../src/sim/kernel/fifo.js';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import { programArb, runProgram } from './program.js';

describe('sim/kernel fifo', () => {
  it('runs tasks in creation order, including tasks created by tasks', () => {
    const s = new Scheduler(new FifoStrategy());
    s.spawn('app', 'a', () => {
      s.spawn('tapa-1', 'c', () => s.spawn('nsp', 'e', () => {}));
      s.spawn('tapa-1', 'd', () => {});
    });
    s.spawn('app', 'b', () => {});
    expect(s.run({ maxSteps: 100 })).to.equal('idle');
    expect(s.log.map((e) => e.label)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect(s.choices).to.deep.equal([0, 0, 0, 0, 0]);
  });

  it('always runs the lowest ready id', () => {
    fc.assert(
      fc.property(programArb, (program) => {
        const strategy = new FifoStrategy();
        let lowest = true;
        const spy = {
          name: strategy.name,
          choose: (ready: readonly { id: number }[]): number => {
            const i = strategy.choose();
            lowest &&= ready.every((t) => t.id >= ready[i]!.id);
            return i;
          },
        };
        runProgram(program, spy);
        expect(lowest).to.equal(true);
      }),
    );
  });
});
