import { expect } from 'chai';
import fc from 'fast-check';
import { Gate } from '../../src/runner/gate.js';

interface Tracked {
  started: boolean;
  /** Released or cancelled after it started. */
  over: boolean;
  release?: () => void;
  handle?: { cancel(): void };
}

const action = fc.oneof(
  fc.constant({ kind: 'enter' as const, index: 0 }),
  fc.record({ kind: fc.constant('finish' as const), index: fc.nat({ max: 20 }) }),
  fc.record({ kind: fc.constant('cancel' as const), index: fc.nat({ max: 20 }) }),
);

describe('runner: Gate, the bound on NSP calls in flight', () => {
  it('never more than the limit in flight; calls start in arrival order; a call cancelled while queued never starts; idle when all are over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(action, { maxLength: 60 }), (limit, actions) => {
        const gate = new Gate(limit);
        const calls: Tracked[] = [];
        const order: number[] = [];
        for (const a of actions) {
          if (a.kind === 'enter') {
            const t: Tracked = { started: false, over: false };
            const index = calls.length;
            calls.push(t);
            t.handle = gate.enter((release) => {
              t.started = true;
              order.push(index);
              t.release = () => {
                t.over = true;
                release();
              };
              return { cancel: () => void (t.over = true) };
            });
          } else if (a.kind === 'finish') {
            calls[a.index]?.release?.();
          } else {
            const t = calls[a.index];
            if (!t) continue;
            const queued = !t.started;
            t.handle?.cancel();
            if (queued) {
              expect(t.started).to.equal(false);
              t.over = true;
            }
          }
          expect(calls.filter((t) => t.started && !t.over).length).to.be.at.most(limit);
          // Work conservation: nothing waits while there is room.
          const waiting = calls.some((t) => !t.started && !t.over);
          if (waiting) expect(calls.filter((t) => t.started && !t.over).length).to.equal(limit);
          expect(gate.idle, 'idle: nothing in flight or waiting').to.equal(calls.every((t) => t.over));
        }
        expect(order).to.deep.equal([...order].sort((x, y) => x - y));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('a finished or cancelled call makes room for the next, once', () => {
    const gate = new Gate(1);
    const started: string[] = [];
    const releases: (() => void)[] = [];
    const enter = (name: string) =>
      gate.enter((release) => {
        started.push(name);
        releases.push(release);
        return { cancel: () => {} };
      });
    enter('a');
    const b = enter('b');
    enter('c');
    enter('d');
    expect(started).to.deep.equal(['a']);
    releases[0]!();
    releases[0]!();
    expect(started).to.deep.equal(['a', 'b']);
    b.cancel();
    expect(started).to.deep.equal(['a', 'b', 'c']);
  });
});
