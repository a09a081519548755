import { expect } from 'chai';
import fc from 'fast-check';
import type { TimerTask } from '../../../src/sim/kernel/task.js';
import { TimerQueue } from '../../../src/sim/kernel/timers.js';

const timer = (id: number, due: number): TimerTask => ({ kind: 'timer', id, actor: 'a', label: `t${id}`, due, run: () => {} });

describe('sim/kernel TimerQueue', () => {
  it('is empty at first', () => {
    const q = new TimerQueue();
    expect(q.size).to.equal(0);
    expect(q.minDue()).to.equal(Infinity);
    expect(q.earliest()).to.deep.equal([]);
  });

  it('returns all timers at the minimum due in id order, whatever the insertion order', () => {
    const q = new TimerQueue();
    for (const [id, due] of [
      [5, 10],
      [1, 10],
      [3, 2],
      [4, 10],
      [2, 7],
    ] as const)
      q.add(timer(id, due));
    expect(q.earliest().map((t) => t.id)).to.deep.equal([3]);
    q.delete(3);
    expect(q.minDue()).to.equal(7);
    q.delete(2);
    expect(q.earliest().map((t) => t.id)).to.deep.equal([1, 4, 5]);
  });

  it('agrees with a plain list under adds and many cancels', () => {
    type Op = { kind: 'add'; due: number } | { kind: 'delete'; pick: number } | { kind: 'deleteEarliest'; pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), due: fc.nat({ max: 8 }) }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('deleteEarliest' as const), pick: fc.nat() }),
    );
    // A long burst of adds first, so cancels leave the heap mostly dead and force a rebuild.
    const opsArb = fc.tuple(
      fc.array(fc.nat({ max: 8 }), { minLength: 100, maxLength: 300, size: 'max' }),
      fc.array(opArb, { maxLength: 600, size: 'max' }),
    );
    fc.assert(
      fc.property(opsArb, ([burst, ops]) => {
        const q = new TimerQueue();
        const model: TimerTask[] = [];
        let nextId = 1;
        const check = (): void => {
          const minDue = Math.min(...model.map((t) => t.due));
          expect(q.size).to.equal(model.length);
          expect(q.minDue()).to.equal(minDue);
          const expected = model
            .filter((t) => t.due === minDue)
            .map((t) => t.id)
            .sort((a, b) => a - b);
          expect(q.earliest().map((t) => t.id)).to.deep.equal(expected);
        };
        const all: Op[] = [...burst.map((due) => ({ kind: 'add' as const, due })), ...ops];
        for (const op of all) {
          if (op.kind === 'add') {
            const t = timer(nextId++, op.due);
            q.add(t);
            model.push(t);
          } else {
            const pool = op.kind === 'delete' ? model : q.earliest();
            const victim = pool[op.pick % Math.max(pool.length, 1)];
            if (victim === undefined) {
              expect(q.delete(nextId + 1)).to.equal(false);
            } else {
              expect(q.delete(victim.id)).to.equal(true);
              expect(q.delete(victim.id)).to.equal(false);
              model.splice(model.indexOf(victim), 1);
            }
          }
          check();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('takes every entry due by a time, in (due, id) order, and only those', () => {
    const q = new TimerQueue();
    for (const [id, due] of [
      [4, 9],
      [1, 3],
      [3, 3],
      [2, 12],
    ] as const)
      q.add(timer(id, due));
    q.delete(3);
    expect(q.takeUntil(9).map((t) => t.id)).to.deep.equal([1, 4]);
    expect(q.size).to.equal(1);
    expect(q.takeUntil(11)).to.deep.equal([]);
    expect(q.minDue()).to.equal(12);
  });
});
