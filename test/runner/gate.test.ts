import { expect } from 'chai';
import fc from 'fast-check';
import type { CallError } from '../../src/core/index.js';
import { Gate, verdictOf, type Verdict } from '../../src/runner/gate.js';

/** A gate on a clock that moves only when a test says. */
function clocked(max: number) {
  const clock = { now: 0 };
  return { gate: new Gate(max, () => clock.now), clock };
}

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
        const { gate } = clocked(limit);
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
    const { gate } = clocked(1);
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

describe('runner: Gate priorities and its adaptive limit', () => {
  /** An answer that, however long it took, says `verdict` of a call without a deadline. */
  const ANSWER: Readonly<Record<Verdict, CallError | undefined>> = {
    timely: undefined,
    overloaded: { code: 'UNAVAILABLE', message: '' },
    neutral: { code: 'INVALID_ARGUMENT', message: '' },
  };

  /** Enters calls that record their start and keep their release and answer hooks. */
  function tracker(gate: Gate) {
    const started: string[] = [];
    const late: string[] = [];
    const hooks = new Map<string, { release: () => void; answered: (error?: CallError) => void }>();
    const enter = (name: string, priority = 0, deadlineMs?: number) =>
      gate.enter(
        (release, answered) => {
          started.push(name);
          hooks.set(name, { release, answered });
          return { cancel: () => {} };
        },
        deadlineMs === undefined ? { priority } : { priority, deadline: { ms: deadlineMs, tooLate: () => void late.push(name) } },
      );
    const answer = (name: string, error?: CallError) => {
      hooks.get(name)!.answered(error);
      hooks.get(name)!.release();
    };
    const finish = (name: string, verdict: Verdict) => answer(name, ANSWER[verdict]);
    return { started, late, enter, answer, finish };
  }

  it('lower priorities first, arrival order within one; one start in four goes to the next priority waiting', () => {
    const t = tracker(clocked(1).gate);
    t.enter('busy');
    for (let i = 0; i < 6; i++) t.enter(`keep-${i}`, 0);
    t.enter('acquire-0', 5);
    t.enter('acquire-1', 5);
    for (let i = 0; ; i++) {
      const last = t.started.at(-1)!;
      if (t.started.length === 9) break;
      t.finish(last, 'neutral');
      expect(i).to.be.below(10);
    }
    expect(t.started).to.deep.equal(['busy', 'keep-0', 'keep-1', 'keep-2', 'acquire-0', 'keep-3', 'keep-4', 'keep-5', 'acquire-1']);
  });

  it('an overloaded answer halves the limit once per round; timely answers add one per limit of them; between 1 and max', () => {
    const { gate } = clocked(8);
    const t = tracker(gate);
    for (let i = 0; i < 8; i++) t.enter(`a${i}`);
    expect(gate.limit).to.equal(8);
    // Three answers of the same round: one cut.
    t.finish('a0', 'overloaded');
    t.finish('a1', 'overloaded');
    t.finish('a2', 'overloaded');
    expect(gate.limit).to.equal(4);
    // A call started after the cut cuts again.
    t.enter('b0');
    t.finish('a3', 'neutral');
    t.finish('a4', 'neutral');
    t.finish('a5', 'neutral');
    t.finish('a6', 'neutral');
    t.finish('a7', 'neutral');
    expect(t.started).to.include('b0');
    t.finish('b0', 'overloaded');
    expect(gate.limit).to.equal(2);
    for (let i = 0; i < 10; i++) {
      t.enter(`c${i}`);
      t.finish(`c${i}`, 'overloaded');
    }
    expect(gate.limit, 'never below 1').to.equal(1);
    // From 1: 1 + 1/1 = 2, then 2.5, 2.9, 3.23...: one more per limit's worth of timely answers.
    const limits: number[] = [];
    for (let i = 0; i < 40; i++) {
      t.enter(`d${i}`);
      t.finish(`d${i}`, 'timely');
      limits.push(gate.limit);
    }
    expect(limits.slice(0, 4)).to.deep.equal([2, 2, 2, 3]);
    expect(limits.at(-1), 'never above max').to.equal(8);
  });

  it('verdicts: a success within a quarter of its deadline is timely; DEADLINE_EXCEEDED, UNAVAILABLE and RESOURCE_EXHAUSTED are overload', () => {
    expect(verdictOf(undefined, 100, 1_000)).to.equal('timely');
    expect(verdictOf(undefined, 300, 1_000)).to.equal('neutral');
    for (const code of ['DEADLINE_EXCEEDED', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED'] as const)
      expect(verdictOf({ code, message: '' }, 1_000, 1_000)).to.equal('overloaded');
    expect(verdictOf({ code: 'UNAVAILABLE', message: '' }, 1, 1_000), 'refused at once').to.equal('overloaded');
    expect(verdictOf({ code: 'INVALID_ARGUMENT', message: '' }, 1, 1_000)).to.equal('neutral');
  });

  it('a deadline that passed before the NSP had a quarter of it, the call having waited at the gate, is no sign of overload', () => {
    const expired: CallError = { code: 'DEADLINE_EXCEEDED', message: '' };
    expect(verdictOf(expired, 250, 1_000)).to.equal('neutral');
    expect(verdictOf(expired, 251, 1_000)).to.equal('overloaded');
    const { gate, clock } = clocked(2);
    const t = tracker(gate);
    t.enter('busy');
    t.enter('blocker');
    t.enter('waited', 0, 1_000);
    clock.now = 900;
    t.finish('blocker', 'neutral');
    // 'waited' starts with 100 ms of its deadline left and gets no answer: the NSP had 100 ms.
    clock.now = 1_000;
    t.answer('waited', expired);
    expect(gate.limit).to.equal(2);
    // One that had all its deadline at the NSP does cut.
    t.enter('ran', 0, 1_000);
    clock.now = 2_000;
    t.answer('ran', expired);
    expect(gate.limit).to.equal(1);
  });

  it('a queued call with less of its deadline left than the NSP takes to answer is handed back unsent, and the limit is untouched', () => {
    const { gate, clock } = clocked(2);
    const t = tracker(gate);
    t.enter('first');
    t.enter('second');
    t.enter('late', 0, 500);
    t.enter('in-time', 0, 2_000);
    clock.now = 400;
    t.answer('first');
    // The NSP answered in 400 ms; 'late' has 100 ms left of its 500: not sent, no place taken.
    expect(t.late).to.deep.equal(['late']);
    expect(t.started).to.deep.equal(['first', 'second', 'in-time']);
    expect(gate.limit).to.equal(2);
  });
});
