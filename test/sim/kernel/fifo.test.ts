import { expect } from 'chai';
import fc from 'fast-check';
import { FifoStrategy } from '../../../src/sim/kernel/fifo.js';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import type { Task } from '../../../src/sim/kernel/task.js';
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

  it('runs the oldest immediate task, and a timer only when no immediate task is waiting', () => {
    fc.assert(
      fc.property(programArb, fc.constantFrom(0, 100, 1000), (program, maxLatencyMs) => {
        const strategy = new FifoStrategy();
        const wrong: string[] = [];
        const spy = {
          name: strategy.name,
          choose: (ready: readonly Task[]): number => {
            const i = strategy.choose();
            const immediate = ready.filter((t) => t.kind === 'immediate');
            // The oldest immediate task if any waits, else the lowest-id ready timer.
            const pool = immediate.length > 0 ? immediate : ready;
            const expected = Math.min(...pool.map((t) => t.id));
            if (ready[i]!.id !== expected) {
              wrong.push(`ran ${ready[i]!.id}, expected ${expected} of ${ready.map((t) => `${t.kind}:${t.id}`).join(' ')}`);
            }
            return i;
          },
        };
        const { stop, waits } = runProgram(program, spy, { maxLatencyMs });
        expect(stop).to.equal('idle');
        expect(wrong).to.deep.equal([]);
        // So every message is delivered before the clock moves, whatever the bound.
        expect(waits.filter((w) => w !== 0)).to.deep.equal([]);
      }),
    );
  });

  it('delivers a message before a timer created earlier and already due', () => {
    const s = new Scheduler(new FifoStrategy());
    s.after(0, 'tapa-1', 'timer due now', () => s.spawn('tapa-1', 'timer follow-up', () => {}));
    s.spawn('nsp', 'message', () => s.spawn('tapa-1', 'reply', () => {}));
    expect(s.run({ maxSteps: 100 })).to.equal('idle');
    expect(s.log.map((e) => e.label)).to.deep.equal(['message', 'reply', 'timer due now', 'timer follow-up']);
    expect(s.choices).to.deep.equal([0, 0, 0, 0]);
  });
});
