import { framed, Runtime } from '../dist/sim/goroutine/index.js';
import { createStrategy, Scheduler } from '../dist/sim/kernel/index.js';

/**
 * The same three-party #578 cycle as bench/peer.ts, on this project's goroutine runtime,
 * explored with random schedules until the wait-for graph reports the cycle.
 */
export function runtimeTimeToFind(seed: number): { ms: number; schedules: number } {
  const t0 = process.hrtime.bigint();
  for (let run = 0; ; run++) {
    const rt = new Runtime(new Scheduler(createStrategy({ kind: 'random', seed: seed * 7919 + run })));
    const conduit = rt.mutex('conduit.mu');
    const stream = rt.mutex('stream.mu');
    const getIPs = framed('conduit.(*Conduit).GetIPs', function* () {
      yield* conduit.lock();
      conduit.unlock();
    });
    const close = framed('stream.(*Stream).Close', function* () {
      yield* stream.lock();
      stream.unlock();
    });
    const stop = framed('conduit.(*streamManager).Stop', function* () {
      const wg = rt.waitGroup('sm.Stop.wg');
      wg.add(1);
      rt.go('conduit.(*streamManager).Stop.func1', function* () {
        yield* close();
        wg.done();
      });
      yield* wg.wait();
    });
    rt.go('stream.(*Stream).Open', function* () {
      yield* stream.lock();
      yield* getIPs();
      stream.unlock();
    });
    rt.go('conduit.(*Conduit).monitorConnection', function* () {
      yield* conduit.lock();
      yield* stop();
      conduit.unlock();
    });
    rt.scheduler.run({ maxSteps: 1_000, until: () => rt.deadlock !== undefined });
    if (rt.deadlock) return { ms: Number(process.hrtime.bigint() - t0) / 1e6, schedules: run + 1 };
  }
}
