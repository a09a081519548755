import { expect } from 'chai';
import { framed, sleep, type Go } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, runIdle } from './steered.js';

describe('sim/goroutine lock order (lockdep)', () => {
  it('reports a potential A->B / B->A cycle from a run that did not deadlock, with example stacks', () => {
    const rt = fifoRuntime();
    const a = rt.mutex('A');
    const b = rt.mutex('B');
    const nested = (first: typeof a, second: typeof a, fn: string) =>
      framed(fn, function* (): Go {
        yield* first.lock();
        yield* second.lock();
        second.unlock();
        first.unlock();
      });
    rt.go('main.one', nested(a, b, 'main.(*T).AB'));
    rt.go('main.two', function* () {
      yield* sleep(10);
      yield* nested(b, a, 'main.(*T).BA')();
    });
    runIdle(rt);
    expect(rt.deadlock).to.equal(undefined);
    expect(rt.lockOrderCycles()).to.deep.equal([
      {
        locks: ['A', 'B'],
        edges: [
          {
            from: 'A',
            to: 'B',
            holder: 'main.one#1',
            fromStack: ['sync.(*Mutex).Lock', 'main.(*T).AB', 'main.one'],
            taker: 'main.one#1',
            toStack: ['sync.(*Mutex).Lock', 'main.(*T).AB', 'main.one'],
          },
          {
            from: 'B',
            to: 'A',
            holder: 'main.two#2',
            fromStack: ['sync.(*Mutex).Lock', 'main.(*T).BA', 'main.two'],
            taker: 'main.two#2',
            toStack: ['sync.(*Mutex).Lock', 'main.(*T).BA', 'main.two'],
          },
        ],
      },
    ]);
  });

  it('sees through a WaitGroup: holding A while waiting for a debtor that takes B is A -> B', () => {
    const rt = fifoRuntime();
    const cmu = rt.mutex('conduit.mu');
    const smu = rt.mutex('stream.mu');
    const wg = rt.waitGroup('sm.Stop.wg');
    const close = framed('stream.(*Stream).Close', function* (): Go {
      yield* smu.lock();
      smu.unlock();
    });
    const stop = framed('conduit.(*streamManager).Stop', function* (): Go {
      wg.add(1);
      rt.go('conduit.(*streamManager).Stop.func1', function* () {
        yield* sleep(1);
        yield* close();
        wg.done();
      });
      yield* wg.wait();
    });
    rt.go('conduit.(*Conduit).monitorConnection', function* () {
      yield* cmu.lock();
      yield* stop();
      cmu.unlock();
    });
    const getIPs = framed('conduit.(*Conduit).GetIPs', function* (): Go {
      yield* cmu.lock();
      cmu.unlock();
    });
    rt.go('conduit.(*streamRetry).Open.func1', function* () {
      yield* sleep(5);
      yield* framed('stream.(*Stream).Open', function* (): Go {
        yield* smu.lock();
        yield* getIPs();
        smu.unlock();
      })();
    });
    runIdle(rt);
    expect(rt.deadlock).to.equal(undefined);
    const edges = rt.lockOrderEdges();
    expect(edges.map((e) => `${e.from} -> ${e.to}`)).to.deep.equal(['conduit.mu -> stream.mu', 'stream.mu -> conduit.mu']);
    expect(edges[0]).to.deep.equal({
      from: 'conduit.mu',
      to: 'stream.mu',
      holder: 'conduit.(*Conduit).monitorConnection#1',
      fromStack: ['sync.(*Mutex).Lock', 'conduit.(*Conduit).monitorConnection'],
      taker: 'conduit.(*streamManager).Stop.func1#3',
      toStack: ['sync.(*Mutex).Lock', 'stream.(*Stream).Close', 'conduit.(*streamManager).Stop.func1'],
      via: {
        waitGroup: 'sm.Stop.wg',
        waiter: 'conduit.(*Conduit).monitorConnection#1',
        waiterStack: ['sync.(*WaitGroup).Wait', 'conduit.(*streamManager).Stop', 'conduit.(*Conduit).monitorConnection'],
      },
    });
    expect(rt.lockOrderCycles().map((c) => c.locks)).to.deep.equal([['conduit.mu', 'stream.mu']]);
  });

  it('a debtor wanting the lock its waiter holds is a one-lock cycle', () => {
    const rt = fifoRuntime();
    const a = rt.mutex('A');
    const wg = rt.waitGroup('wg');
    rt.go('main.main', function* () {
      yield* a.lock();
      wg.add(1);
      rt.go('main.main.func1', function* () {
        yield* a.lock();
        a.unlock();
        wg.done();
      });
      yield* wg.wait();
    });
    runIdle(rt);
    expect(rt.deadlock).to.not.equal(undefined);
    expect(rt.lockOrderCycles().map((c) => [c.locks, c.edges[0]!.via?.waitGroup])).to.deep.equal([[['A'], 'wg']]);
  });

  it('stops at the limit on dense graphs', () => {
    const rt = fifoRuntime();
    const locks = ['a', 'b', 'c', 'd', 'e'].map((n) => rt.mutex(n));
    for (const x of locks) {
      for (const y of locks) {
        if (x === y) continue;
        rt.go('main.pair', function* () {
          yield* x.lock();
          yield* y.lock();
          y.unlock();
          x.unlock();
        });
      }
    }
    rt.scheduler.run({ maxSteps: 10_000, until: () => rt.deadlock !== undefined || rt.scheduler.pending === 0 });
    expect(rt.lockOrderEdges().length).to.be.greaterThan(0);
    expect(rt.lockOrderCycles(3)).to.have.length.at.most(3);
  });
});
