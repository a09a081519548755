import { expect } from 'chai';
import fc from 'fast-check';
import { RandomStrategy } from '../../../src/sim/kernel/random.js';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import { ModelError, Runtime, frame, framed, sleep, type Go } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, readyTasks, runIdle, steeredRuntime } from './steered.js';

describe('sim/goroutine Mutex', () => {
  it('excludes: never two goroutines inside the critical section, under any random schedule', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rt = new Runtime(new Scheduler(new RandomStrategy(seed)));
        const mu = rt.mutex('m');
        let inside = 0;
        let entries = 0;
        function* worker(): Go {
          for (let i = 0; i < 3; i++) {
            yield* mu.lock();
            inside++;
            if (inside !== 1) throw new Error(`${inside} inside`);
            entries++;
            yield* sleep(1);
            inside--;
            mu.unlock();
          }
        }
        for (let i = 0; i < 3; i++) rt.go('main.worker', worker);
        runIdle(rt);
        expect(entries).to.equal(9);
        expect(rt.goroutines.map((g) => g.state)).to.deep.equal(['exited', 'exited', 'exited']);
        expect(rt.deadlock).to.equal(undefined);
      }),
      { numRuns: 100 },
    );
  });

  it('parks a waiter with no task pending and sync.(*Mutex).Lock innermost', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    rt.go('main.holder', function* () {
      yield* mu.lock();
      yield* sleep(10);
      mu.unlock();
    });
    const w = rt.go('main.waiter', () => frame('main.(*T).Get', mu.lock()));
    rt.scheduler.run({ maxSteps: 100, until: () => w.state === 'blocked' });
    expect(w.stack).to.deep.equal(['sync.(*Mutex).Lock', 'main.(*T).Get', 'main.waiter']);
    expect(readyTasks(rt).filter((t) => t.startsWith('main.waiter#2'))).to.deep.equal([]);
    expect(rt.scheduler.ready().map((t) => t.label)).to.deep.equal(['sleep 10ms']);
    runIdle(rt);
    expect(w.state).to.equal('exited');
  });

  it('on unlock wakes every waiter as a task, and the strategy (not FIFO order) picks who gets it', () => {
    const { rt, steer } = steeredRuntime();
    const mu = rt.mutex('m');
    const order: string[] = [];
    const h = rt.go('main.holder', function* () {
      yield* mu.lock();
      yield* sleep(10);
      mu.unlock();
    });
    const waiter = function* (name: string): Go {
      yield* mu.lock();
      order.push(name);
      yield* sleep(1);
      mu.unlock();
    };
    const w1 = rt.go('main.waiter', waiter, 'w1');
    const w2 = rt.go('main.waiter', waiter, 'w2');
    rt.scheduler.run({ maxSteps: 100, until: () => h.state === 'exited' });
    expect(readyTasks(rt)).to.deep.equal(['main.waiter#2: lock m', 'main.waiter#3: lock m']);
    steer.pick = 1;
    rt.scheduler.step();
    expect(mu.owner).to.equal(w2);
    // The loser parks again: no task of its own is pending.
    expect(w1.state).to.equal('blocked');
    expect(readyTasks(rt)).to.deep.equal(['main.waiter#3: sleep 1ms']);
    runIdle(rt);
    expect(order).to.deep.equal(['w2', 'w1']);
    expect(rt.scheduler.log.map((e) => `${e.actor}: ${e.label}`)).to.deep.equal([
      'main.holder#1: start',
      'main.waiter#2: start',
      'main.waiter#3: start',
      'main.holder#1: lock m',
      'main.holder#1: sleep 10ms',
      'main.waiter#3: lock m',
      'main.waiter#3: sleep 1ms',
      'main.waiter#2: lock m',
      'main.waiter#2: sleep 1ms',
    ]);
  });

  it('raises a ModelError at once when a goroutine locks a mutex it holds', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('conduit.mu');
    const relock = framed('conduit.(*Conduit).SetVIPs', function* () {
      yield* mu.lock();
      yield* mu.lock();
    });
    rt.go('main.main', relock);
    let error: unknown;
    try {
      rt.scheduler.run({ maxSteps: 100 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ModelError);
    const m = error as ModelError;
    expect(m.message).to.match(/conduit\.mu locked again by its holder/);
    expect(m.goroutine).to.equal('main.main#1');
    expect(m.goStack).to.deep.equal(['sync.(*Mutex).Lock', 'conduit.(*Conduit).SetVIPs', 'main.main']);
    // The step that yielded the second lock is the last one: nothing ran after it.
    expect(rt.scheduler.log.map((e) => e.label)).to.deep.equal(['start', 'lock conduit.mu']);
  });

  it('raises a ModelError on unlock of an unlocked mutex, inside or outside a goroutine', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    expect(() => mu.unlock()).to.throw(ModelError, /unlock of unlocked mutex m/);
    rt.go('main.main', function* () {
      yield* mu.lock();
      mu.unlock();
      mu.unlock();
    });
    expect(() => rt.scheduler.run({ maxSteps: 100 })).to.throw(ModelError, /unlock of unlocked mutex m.*main\.main#1/);
  });

  it('withLock unlocks when the body throws', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    const caught: string[] = [];
    rt.go('main.main', function* () {
      try {
        yield* mu.withLock(
          (function* (): Go {
            yield* sleep(1);
            throw new Error('boom');
          })(),
        );
      } catch (e) {
        caught.push((e as Error).message);
      }
      expect(mu.owner).to.equal(undefined);
      yield* mu.lock();
    });
    runIdle(rt);
    expect(caught).to.deep.equal(['boom']);
    expect(rt.goroutines[0]!.holds).to.deep.equal(['m']);
  });
});
