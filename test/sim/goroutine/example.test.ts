import { expect } from 'chai';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import { createStrategy } from '../../../src/sim/kernel/strategy-spec.js';
import { Runtime, blockedSignature, formatDeadlock, framed, parseTraces } from '../../../src/sim/goroutine/index.js';

describe('sim/goroutine the example in index.ts', () => {
  it('runs as written and finds the #578 cycle under fifo and some PCT seeds', () => {
    const outcomes: boolean[] = [];
    for (const spec of [{ kind: 'fifo' as const }, ...[1, 2, 3, 4, 5, 6, 7, 8].map((seed) => ({ kind: 'pct' as const, seed }))]) {
      // ---- as in index.ts ----
      const rt = new Runtime(new Scheduler(createStrategy(spec)));
      const cmu = rt.mutex('conduit.mu');
      const smu = rt.mutex('stream.mu');
      const getIPs = framed('conduit.(*Conduit).GetIPs', function* () {
        yield* cmu.lock();
        cmu.unlock();
      });
      const close = framed('stream.(*Stream).Close', function* () {
        yield* smu.lock();
        smu.unlock();
      });
      const stop = framed('conduit.(*streamManager).Stop', function* () {
        const wg = rt.waitGroup('sm.Stop.wg');
        wg.add(1); // the next goroutine this one spawns owes the Done
        rt.go('conduit.(*streamManager).Stop.func1', function* () {
          yield* close();
          wg.done();
        });
        yield* wg.wait();
      });
      rt.go('stream.(*Stream).Open', function* () {
        yield* smu.lock();
        yield* getIPs();
        smu.unlock();
      });
      rt.go('conduit.(*Conduit).monitorConnection', function* () {
        yield* cmu.lock();
        yield* stop();
        cmu.unlock();
      });
      rt.scheduler.run({ maxSteps: 1000, until: () => rt.deadlock !== undefined });
      // ---- end ----
      outcomes.push(rt.deadlock !== undefined);
      expect(rt.lockOrderCycles().map((c) => c.locks)).to.deep.equal([['conduit.mu', 'stream.mu']]);
      if (spec.kind === 'fifo') {
        expect(formatDeadlock(rt.deadlock!)).to.match(/^deadlock at 0ms .*closed by conduit\.\(\*streamManager\)\.Stop\.func1#3/);
        expect([...blockedSignature(parseTraces(rt.dump())).keys()]).to.deep.equal([
          'conduit.(*Conduit).GetIPs',
          'conduit.(*streamManager).Stop',
          'stream.(*Stream).Close',
        ]);
      }
    }
    expect(outcomes[0]).to.equal(true);
    expect(outcomes).to.include(false);
  });
});
