import { expect } from 'chai';
import { deadlockSignature, ModelError, sleep, type Go, type Runtime } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, runIdle } from './steered.js';

describe('sim/goroutine WaitGroup', () => {
  it('wait parks until every Done, with sync.(*WaitGroup).Wait innermost', () => {
    const rt = fifoRuntime();
    const wg = rt.waitGroup('wg');
    const events: string[] = [];
    const main = rt.go('main.main', function* () {
      wg.add(2);
      for (const ms of [20, 10]) {
        rt.go('main.main.func1', function* () {
          yield* sleep(ms);
          events.push(`done ${ms} at ${rt.now}`);
          wg.done();
        });
      }
      yield* wg.wait();
      events.push(`waited at ${rt.now}`);
    });
    rt.scheduler.run({ maxSteps: 100, until: () => main.state === 'blocked' });
    expect(main.stack).to.deep.equal(['sync.(*WaitGroup).Wait', 'main.main']);
    expect(wg.counter).to.equal(2);
    runIdle(rt);
    expect(events).to.deep.equal(['done 10 at 10', 'done 20 at 20', 'waited at 20']);
    expect(wg.counter).to.equal(0);
  });

  it('wait on a zero counter does not park', () => {
    const rt = fifoRuntime();
    const wg = rt.waitGroup('wg');
    let passed = false;
    rt.go('main.main', function* () {
      yield* wg.wait();
      passed = true;
    });
    runIdle(rt);
    expect(passed).to.equal(true);
    expect(rt.scheduler.log.map((e) => e.label)).to.deep.equal(['start', 'wait wg']);
  });

  it("makes the next goroutines spawned after add the debtors, and done pays the caller's debt", () => {
    const rt = fifoRuntime();
    const wg = rt.waitGroup('wg');
    const names: string[][] = [];
    const gate = rt.chan<void>('gate');
    rt.go('main.main', function* () {
      wg.add(2);
      const body = function* (): Go {
        yield* gate.recv();
        wg.done();
      };
      rt.go('main.a', body);
      rt.go('main.b', body);
      rt.go('main.unrelated', function* () {
        yield* gate.recv();
      });
      names.push(wg.debtors.map((g) => g.actor));
      yield* sleep(1);
      gate.close();
      yield* wg.wait();
      names.push(wg.debtors.map((g) => g.actor));
    });
    runIdle(rt);
    expect(names).to.deep.equal([['main.a#2', 'main.b#3'], []]);
  });

  it('owe makes a goroutine spawned by someone else a debtor', () => {
    const rt = fifoRuntime();
    const wg = rt.waitGroup('wg');
    wg.add(1);
    const stranger = rt.go('main.other', function* () {
      yield* sleep(5);
      wg.done();
    });
    // Spawned from outside after an add from outside: claimed already.
    expect(wg.debtors).to.deep.equal([stranger]);

    const wg2 = rt.waitGroup('wg2');
    const spawned = rt.go('main.early', function* () {
      yield* sleep(5);
      wg2.done();
    });
    wg2.add(1);
    expect(wg2.debtors).to.deep.equal([]);
    wg2.owe(spawned);
    expect(wg2.debtors).to.deep.equal([spawned]);
    expect(wg2.counter).to.equal(1);
    expect(() => wg2.owe(spawned)).to.throw(ModelError, /without an unclaimed debt/);
    runIdle(rt);
    expect([wg.counter, wg2.counter]).to.deep.equal([0, 0]);
  });

  it('a negative counter is a ModelError, raised by the Done that makes it', () => {
    const rt = fifoRuntime();
    const wg = rt.waitGroup('sm.wg');
    expect(() => wg.done()).to.throw(ModelError, /negative WaitGroup counter in sm\.wg/);
    expect(() => wg.add(-1)).to.throw(ModelError, /negative WaitGroup counter/);
    rt.go('main.main', function* () {
      wg.add(1);
      wg.done();
      wg.done();
    });
    expect(() => rt.scheduler.run({ maxSteps: 10 })).to.throw(ModelError, /negative WaitGroup counter in sm\.wg.*main\.main#1/);
  });

  it('releases its waiters when the counter reaches zero, even if add runs before they do', () => {
    const rt = fifoRuntime();
    const wg = rt.waitGroup('wg');
    const done: string[] = [];
    // Spawned before the add, so it does not claim the debt (see the debtor rule).
    rt.go('main.waiter', function* () {
      yield* wg.wait();
      done.push('waiter');
    });
    wg.add(1);
    rt.scheduler.run({ maxSteps: 10 });
    expect(rt.goroutines[0]!.state).to.equal('blocked');
    wg.done();
    wg.add(1);
    runIdle(rt);
    expect(done).to.deep.equal(['waiter']);
  });

  describe('who owes the Done, without currentGoroutine()', () => {
    /**
     * `mu.Lock(); <spawn a worker>; wg.Wait()` while the worker wants mu before its Done:
     * Go hangs forever. `add` is where each idiom declares the worker the debtor.
     */
    const waitUnderLock = (idiom: 'add-then-go' | 'add-inside' | 'add-inside-undeclared'): Runtime => {
      const rt = fifoRuntime();
      const mu = rt.mutex('s.mu');
      const wg = rt.waitGroup('s.wg');
      const worker = function* (): Go {
        if (idiom !== 'add-then-go') wg.add(1, idiom === 'add-inside' ? { by: 'caller' } : undefined);
        yield* mu.lock();
        mu.unlock();
        wg.done();
      };
      rt.go('s.(*S).Stop', function* () {
        yield* mu.lock();
        if (idiom === 'add-then-go') wg.add(1);
        rt.go('s.(*S).Stop.func1', worker);
        yield* sleep(1); // the worker runs its first step (its Add) before the Wait, as Go's Add-inside idiom needs
        yield* wg.wait();
        mu.unlock();
      });
      rt.scheduler.run({ maxSteps: 100, until: () => rt.deadlock !== undefined });
      return rt;
    };

    for (const idiom of ['add-then-go', 'add-inside'] as const) {
      it(`${idiom === 'add-then-go' ? 'wg.add(1) then go: the spawned goroutine' : "wg.add(1, { by: 'caller' }) inside the goroutine: the caller"} owes it, so a Wait under the lock its debtor wants is a deadlock`, () => {
        const d = waitUnderLock(idiom).deadlock!;
        expect(d.cycle.map((m) => `${m.goroutine} ${m.waitsFor.op} ${m.waitsFor.object}`)).to.have.members([
          's.(*S).Stop#1 wait s.wg',
          's.(*S).Stop.func1#2 lock s.mu',
        ]);
        expect(deadlockSignature(d)).to.equal('sync.(*Mutex).Lock < s.(*S).Stop.func1 | sync.(*WaitGroup).Wait < s.(*S).Stop');
      });
    }

    it('an Add inside the goroutine without saying who owes it has no known debtor: nothing to report, hence `by`', () => {
      const rt = waitUnderLock('add-inside-undeclared');
      expect(rt.deadlock).to.equal(undefined);
      expect(rt.goroutines.map((g) => g.state)).to.deep.equal(['blocked', 'blocked']);
    });

    it("wg.add(n, { by: 'caller' }) outside any goroutine is a model error", () => {
      expect(() => fifoRuntime().waitGroup('wg').add(1, { by: 'caller' })).to.throw(ModelError, /outside any goroutine/);
    });
  });
});
