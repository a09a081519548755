import { expect } from 'chai';
import fc from 'fast-check';
import { FifoStrategy } from '../../../src/sim/kernel/fifo.js';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import type { Strategy } from '../../../src/sim/kernel/strategy.js';
import type { Task } from '../../../src/sim/kernel/task.js';

const noop = (): void => {};

/** A strategy the test steers by hand, one index at a time. */
class Steered implements Strategy {
  readonly name = 'steered';
  pick = 0;
  choose(): number {
    return this.pick;
  }
}

const ids = (tasks: readonly Task[]): number[] => tasks.map((t) => t.id);

describe('sim/kernel Scheduler', () => {
  describe('pool and log', () => {
    it('starts empty at time 0 and reports idle', () => {
      const s = new Scheduler(new FifoStrategy());
      expect(s.now).to.equal(0);
      expect(s.ready()).to.deep.equal([]);
      expect(s.step()).to.equal(undefined);
      expect(s.run({ maxSteps: 10 })).to.equal('idle');
      expect(s.choices).to.deep.equal([]);
      expect(s.log).to.deep.equal([]);
    });

    it('numbers tasks in creation order and lists ready tasks in id order', () => {
      const s = new Scheduler(new FifoStrategy());
      const a = s.spawn('nsp', 'a', noop);
      const b = s.spawn('tapa-1', 'b', noop);
      const c = s.spawn('nsp', 'c', noop);
      expect([a, b, c]).to.deep.equal([a, a + 1, a + 2]);
      expect(ids(s.ready())).to.deep.equal([a, b, c]);
      expect(s.pending).to.equal(3);
    });

    it('runs the chosen task, records the index and appends to the log', () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy);
      const ran: string[] = [];
      s.spawn('nsp', 'first', () => ran.push('first'));
      s.spawn('tapa-1', 'second', () => ran.push('second'));
      strategy.pick = 1;
      const task = s.step();
      expect(task?.label).to.equal('second');
      expect(ran).to.deep.equal(['second']);
      strategy.pick = 0;
      s.step();
      expect(ran).to.deep.equal(['second', 'first']);
      expect(s.choices).to.deep.equal([1, 0]);
      expect(s.log).to.deep.equal([
        { seq: 0, time: 0, actor: 'tapa-1', label: 'second' },
        { seq: 1, time: 0, actor: 'nsp', label: 'first' },
      ]);
      expect(s.pending).to.equal(0);
    });

    it('makes what a task spawns visible to the next step', () => {
      const s = new Scheduler(new FifoStrategy());
      s.spawn('app', 'open', () => {
        s.spawn('tapa-1', 'handle open', noop);
        s.after(0, 'tapa-1', 'timer', noop);
      });
      s.step();
      expect(s.ready().map((t) => t.label)).to.deep.equal(['handle open', 'timer']);
    });

    it('keeps the log entry of a task that throws, and stays usable', () => {
      const s = new Scheduler(new FifoStrategy());
      s.spawn('nsp', 'boom', () => {
        throw new Error('boom');
      });
      s.spawn('nsp', 'after', noop);
      expect(() => s.step()).to.throw('boom');
      expect(s.log.map((e) => e.label)).to.deep.equal(['boom']);
      expect(s.step()?.label).to.equal('after');
    });

    it('refuses to step from inside a running task', () => {
      const s = new Scheduler(new FifoStrategy());
      s.spawn('nsp', 'outer', () => s.step());
      s.spawn('nsp', 'inner', noop);
      expect(() => s.step()).to.throw(/inside a running task/);
    });

    it('rejects an index the strategy should never return, without recording it', () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy);
      s.spawn('nsp', 'only', noop);
      for (const bad of [1, -1, 0.5, NaN]) {
        strategy.pick = bad;
        expect(() => s.step()).to.throw(RangeError, /steered chose/);
      }
      expect(s.choices).to.deep.equal([]);
      expect(s.pending).to.equal(1);
    });
  });

  describe('run', () => {
    it('stops when idle, at maxSteps, or when until holds (checked before each step)', () => {
      const chain = (s: Scheduler, n: number): void => {
        if (n > 0) s.spawn('nsp', `link ${n}`, () => chain(s, n - 1));
      };
      const idle = new Scheduler(new FifoStrategy());
      chain(idle, 5);
      expect(idle.run({ maxSteps: 100 })).to.equal('idle');
      expect(idle.log).to.have.length(5);

      const capped = new Scheduler(new FifoStrategy());
      chain(capped, 5);
      expect(capped.run({ maxSteps: 3 })).to.equal('maxSteps');
      expect(capped.log).to.have.length(3);
      expect(capped.run({ maxSteps: 3 })).to.equal('idle');
      expect(capped.log).to.have.length(5);

      const stopped = new Scheduler(new FifoStrategy());
      chain(stopped, 5);
      expect(stopped.run({ maxSteps: 100, until: () => stopped.log.length === 2 })).to.equal('until');
      expect(stopped.log).to.have.length(2);
      expect(stopped.run({ maxSteps: 100, until: () => true })).to.equal('until');
      expect(stopped.log).to.have.length(2);
    });
  });

  describe('virtual time', () => {
    it('offers only the earliest timers, and moves the clock only when one runs', () => {
      const s = new Scheduler(new FifoStrategy());
      const late = s.at(20, 'tapa-1', 'late', noop);
      const early = s.after(10, 'tapa-1', 'early', noop);
      expect(ids(s.ready())).to.deep.equal([early]);
      expect(s.now).to.equal(0);
      s.step();
      expect(s.now).to.equal(10);
      expect(ids(s.ready())).to.deep.equal([late]);
      s.step();
      expect(s.now).to.equal(20);
      expect(s.log.map((e) => e.time)).to.deep.equal([10, 20]);
    });

    it('keeps the clock still while immediate tasks run', () => {
      const s = new Scheduler(new FifoStrategy());
      s.at(50, 'nsp', 'expire', () => s.spawn('nsp', 'after expiry', noop));
      s.spawn('app', 'one', () => s.spawn('app', 'two', noop));
      // The timer is older, but immediate tasks are listed first, so index 0 runs them.
      expect(s.ready().map((x) => x.label)).to.deep.equal(['one', 'expire']);
      s.step();
      expect(s.now).to.equal(0);
      expect(s.ready().map((x) => x.label)).to.deep.equal(['two', 'expire']);
      s.step();
      expect(s.now).to.equal(0);
      expect(s.ready().map((x) => x.label)).to.deep.equal(['expire']);
      s.step();
      expect(s.now).to.equal(50);
      s.step();
      expect(s.log.map((e) => [e.time, e.label])).to.deep.equal([
        [0, 'one'],
        [0, 'two'],
        [50, 'expire'],
        [50, 'after expiry'],
      ]);
    });

    it('offers every timer sharing the earliest due, after all immediate tasks, each kind in id order', () => {
      const s = new Scheduler(new FifoStrategy());
      const t1 = s.at(5, 'tapa-1', 'refresh', noop);
      const m1 = s.spawn('nsp', 'answer', noop);
      const t2 = s.at(5, 'tapa-2', 'refresh', noop);
      s.at(6, 'tapa-2', 'later', noop);
      const m2 = s.spawn('nsp', 'another answer', noop);
      expect(ids(s.ready())).to.deep.equal([m1, m2, t1, t2]);
    });

    it('allows a timer due now, and rejects times in the past or not finite', () => {
      const s = new Scheduler(new FifoStrategy());
      s.at(100, 'nsp', 'tick', noop);
      s.step();
      expect(() => s.at(99, 'nsp', 'past', noop)).to.throw(RangeError, /past|>= now/);
      expect(() => s.at(Infinity, 'nsp', 'never', noop)).to.throw(RangeError);
      expect(() => s.at(NaN, 'nsp', 'nan', noop)).to.throw(RangeError);
      expect(() => s.after(-1, 'nsp', 'negative', noop)).to.throw(RangeError);
      const id = s.after(0, 'nsp', 'now', noop);
      expect(ids(s.ready())).to.deep.equal([id]);
      s.step();
      expect(s.now).to.equal(100);
    });

    it('cancels immediate tasks and timers, once', () => {
      const s = new Scheduler(new FifoStrategy());
      const m = s.spawn('nsp', 'answer', noop);
      const t1 = s.at(5, 'tapa-1', 'retry', noop);
      const t2 = s.at(7, 'tapa-1', 'refresh', noop);
      expect(s.cancel(m)).to.equal(true);
      expect(s.cancel(t1)).to.equal(true);
      expect(s.cancel(t1)).to.equal(false);
      expect(s.cancel(12345)).to.equal(false);
      expect(ids(s.ready())).to.deep.equal([t2]);
      expect(s.pending).to.equal(1);
      s.step();
      expect(s.cancel(t2)).to.equal(false);
      expect(s.log.map((e) => e.label)).to.deep.equal(['refresh']);
      expect(s.run({ maxSteps: 10 })).to.equal('idle');
    });

    it('lets a task cancel a timer that shares the due time it runs at', () => {
      const s = new Scheduler(new FifoStrategy());
      let other = 0;
      s.at(5, 'tapa-1', 'first', () => s.cancel(other));
      other = s.at(5, 'tapa-1', 'second', noop);
      s.run({ maxSteps: 10 });
      expect(s.log.map((e) => e.label)).to.deep.equal(['first']);
    });
  });

  describe('bounded message latency', () => {
    it('holds back a timer due past the bound while a message waits, and offers it once the messages ran', () => {
      const s = new Scheduler(new FifoStrategy());
      const timer = s.at(5000, 'tapa-1', 'refresh', noop);
      const m = s.spawn('nsp', 'answer', noop);
      expect(ids(s.ready())).to.deep.equal([m]);
      s.step();
      expect(ids(s.ready())).to.deep.equal([timer]);
      s.step();
      expect(s.now).to.equal(5000);
    });

    it('measures the bound from the oldest waiting message, inclusively', () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy, { maxLatencyMs: 1000 });
      const a = s.spawn('app', 'old message', noop);
      const t1 = s.at(600, 'nsp', 'tick 600', () => s.spawn('nsp', 'new message', noop));
      const t2 = s.at(1200, 'nsp', 'tick 1200', noop);
      s.at(1600, 'nsp', 'tick 1600', noop);
      expect(ids(s.ready())).to.deep.equal([a, t1]);
      strategy.pick = 1;
      s.step();
      expect(s.now).to.equal(600);
      // 'old message' became ready at 0, so nothing due after 1000 may run yet.
      expect(s.ready().map((t) => t.label)).to.deep.equal(['old message', 'new message']);
      strategy.pick = 0;
      s.step();
      // Now the oldest waiting message became ready at 600: the bound is 1600.
      expect(ids(s.ready())).to.include(t2);
      expect(s.ready().map((t) => t.label)).to.deep.equal(['new message', 'tick 1200']);
    });

    it('with maxLatencyMs 0 never moves the clock past a waiting message', () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy, { maxLatencyMs: 0 });
      const tick = s.at(1, 'nsp', 'tick', noop);
      const now = s.after(0, 'nsp', 'due now', noop);
      const m = s.spawn('app', 'message', noop);
      expect(ids(s.ready())).to.deep.equal([m, now]);
      // A timer due now may still run ahead of the message, but 'tick' may not.
      strategy.pick = 1;
      s.step();
      expect(s.now).to.equal(0);
      expect(ids(s.ready())).to.deep.equal([m]);
      strategy.pick = 0;
      s.step();
      expect(ids(s.ready())).to.deep.equal([tick]);
      s.step();
      expect(s.now).to.equal(1);
    });

    it('rejects a negative or NaN bound and accepts Infinity', () => {
      expect(() => new Scheduler(new FifoStrategy(), { maxLatencyMs: -1 })).to.throw(RangeError);
      expect(() => new Scheduler(new FifoStrategy(), { maxLatencyMs: NaN })).to.throw(RangeError);
      const s = new Scheduler(new FifoStrategy(), { maxLatencyMs: Infinity });
      const t = s.at(1e9, 'nsp', 'far', noop);
      const m = s.spawn('app', 'message', noop);
      expect(ids(s.ready())).to.deep.equal([m, t]);
    });
  });

  describe('messages in flight', () => {
    it('delivers a message once its latency has passed, moving the clock to it when nothing else is ready', () => {
      const s = new Scheduler(new FifoStrategy());
      const m = s.deliver(7, 'nsp', 'request', noop);
      expect(s.ready()).to.deep.equal([]);
      expect(s.quiescent).to.equal(false);
      expect(s.pending).to.equal(1);
      expect(s.step()?.id).to.equal(m);
      expect(s.now).to.equal(7);
      expect(s.run({ maxSteps: 10 })).to.equal('idle');
    });

    it('with no delay is spawn', () => {
      const s = new Scheduler(new FifoStrategy());
      const m = s.deliver(0, 'nsp', 'request', noop);
      expect(ids(s.ready())).to.deep.equal([m]);
      expect(() => s.deliver(-1, 'nsp', 'bad', noop)).to.throw(RangeError);
      expect(() => s.deliver(Infinity, 'nsp', 'bad', noop)).to.throw(RangeError);
    });

    it('keeps a retry loop against a failing server from spinning at one instant', () => {
      const s = new Scheduler(new FifoStrategy());
      let tries = 0;
      const attempt = (): void =>
        void s.deliver(2, 'nsm', 'Request', () => s.deliver(3, 'tapa-1', 'Request -> UNAVAILABLE', () => tries++ < 99 && attempt()));
      attempt();
      s.run({ maxSteps: 1_000 });
      expect(s.now).to.equal(100 * 5);
    });

    it('lists arrived messages in the order they arrived, so the strategy may still reorder them', () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy);
      const slow = s.deliver(9, 'tapa-1', 'slow answer', noop);
      const fast = s.deliver(4, 'tapa-2', 'fast answer', noop);
      s.at(9, 'nsp', 'tick', noop);
      s.step();
      expect(s.now).to.equal(4);
      expect(s.log.map((e) => e.label)).to.deep.equal(['fast answer']);
      s.spawn('app', 'open', noop);
      // 'slow answer' may be let in now; firing the timer instead lets it arrive with it, after 'open'.
      strategy.pick = 2;
      expect(s.ready().map((t) => t.label)).to.deep.equal(['open', 'slow answer', 'tick']);
      s.step();
      expect(s.now).to.equal(9);
      expect(s.ready().map((t) => t.label)).to.deep.equal(['open', 'slow answer']);
      expect(ids(s.ready())).to.include(slow).and.not.include(fast);
    });

    it("offers the next arrival beside ready work, so a message can land in the middle of another one's handling", () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy, { maxLatencyMs: 100 });
      s.spawn('tapa-1', 'handling, part 1', () => s.spawn('tapa-1', 'handling, part 2', noop));
      s.deliver(3, 'tapa-1', 'monitor event', noop);
      s.deliver(300, 'tapa-1', 'late answer', noop);
      s.at(2, 'tapa-1', 'timer', noop);
      // The timer is due first: the arrival would turn the clock back past it.
      expect(s.ready().map((t) => t.label)).to.deep.equal(['handling, part 1', 'timer']);
      strategy.pick = 1;
      s.step();
      expect(s.ready().map((t) => t.label)).to.deep.equal(['handling, part 1', 'monitor event']);
      strategy.pick = 0;
      s.step();
      strategy.pick = 1;
      expect(s.step()?.label).to.equal('monitor event');
      expect(s.now).to.equal(3);
      // 'late answer' is past the bound of the work still waiting.
      expect(s.ready().map((t) => t.label)).to.deep.equal(['handling, part 2']);
    });

    it('lets a timer pass a message in flight by no more than maxLatencyMs, counted from its arrival', () => {
      const strategy = new Steered();
      const s = new Scheduler(strategy, { maxLatencyMs: 100 });
      s.spawn('app', 'waiting', noop);
      s.deliver(50, 'nsp', 'in flight', noop);
      s.at(80, 'nsp', 'tick 80', noop);
      s.at(150, 'nsp', 'tick 150', noop);
      s.at(151, 'nsp', 'tick 151', noop);
      expect(s.ready().map((t) => t.label)).to.deep.equal(['waiting', 'in flight', 'tick 80']);
      strategy.pick = 2;
      s.step();
      expect(s.ready().map((t) => t.label)).to.deep.equal(['waiting', 'in flight']);
      strategy.pick = 0;
      s.step();
      // The message waits since it arrived at 50: 150 is within its bound, 151 is not.
      expect(s.ready().map((t) => t.label)).to.deep.equal(['in flight', 'tick 150']);
    });

    it('cancels a message in flight', () => {
      const s = new Scheduler(new FifoStrategy());
      const m = s.deliver(5, 'nsp', 'request', noop);
      expect(s.cancel(m)).to.equal(true);
      expect(s.cancel(m)).to.equal(false);
      expect(s.quiescent).to.equal(true);
      expect(s.run({ maxSteps: 10 })).to.equal('idle');
      expect(s.now).to.equal(0);
    });
  });

  describe('against a naive model of the pool', () => {
    type Op = { kind: 'spawn' } | { kind: 'timer'; delay: number } | { kind: 'cancel'; back: number } | { kind: 'step'; pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 2, arbitrary: fc.constant({ kind: 'spawn' as const }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('timer' as const), delay: fc.constantFrom(0, 1, 2, 3, 700, 1500) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), back: fc.nat({ max: 20 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('step' as const), pick: fc.nat() }) },
    );

    interface ModelTask {
      readonly id: number;
      readonly immediate: boolean;
      readonly time: number;
    }

    it('offers exactly the tasks the fairness rule allows, immediate tasks first, each kind in id order', () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 400, size: 'max' }), fc.constantFrom(0, 500, 1000), (ops, maxLatencyMs) => {
          const strategy = new Steered();
          const s = new Scheduler(strategy, { maxLatencyMs });
          const model: ModelTask[] = [];
          const created: number[] = [];
          let now = 0;
          const modelReady = (): number[] => {
            const oldest = Math.min(...model.filter((t) => t.immediate).map((t) => t.time));
            const timers = model.filter((t) => !t.immediate);
            const minDue = Math.min(...timers.map((t) => t.time));
            const ok = minDue <= oldest + maxLatencyMs;
            const byId = (tasks: ModelTask[]): number[] => tasks.map((t) => t.id).sort((a, b) => a - b);
            return [...byId(model.filter((t) => t.immediate)), ...byId(timers.filter((t) => ok && t.time === minDue))];
          };
          for (const op of ops) {
            switch (op.kind) {
              case 'spawn': {
                const id = s.spawn('a', 'm', noop);
                created.push(id);
                model.push({ id, immediate: true, time: now });
                break;
              }
              case 'timer': {
                const id = s.after(op.delay, 'a', 't', noop);
                created.push(id);
                model.push({ id, immediate: false, time: now + op.delay });
                break;
              }
              case 'cancel': {
                const id = created[created.length - 1 - op.back];
                if (id === undefined) break;
                const i = model.findIndex((t) => t.id === id);
                expect(s.cancel(id)).to.equal(i >= 0);
                if (i >= 0) model.splice(i, 1);
                break;
              }
              case 'step': {
                const expected = modelReady();
                if (expected.length === 0) {
                  expect(s.step()).to.equal(undefined);
                  break;
                }
                strategy.pick = op.pick % expected.length;
                const task = s.step()!;
                expect(task.id).to.equal(expected[strategy.pick]);
                const i = model.findIndex((t) => t.id === task.id);
                const m = model[i]!;
                if (!m.immediate) now = m.time;
                model.splice(i, 1);
                break;
              }
            }
            expect(ids(s.ready())).to.deep.equal(modelReady());
            expect(s.now).to.equal(now);
            expect(s.pending).to.equal(model.length);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
