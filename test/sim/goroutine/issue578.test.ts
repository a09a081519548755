import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import { createStrategy, type StrategySpec } from '../../../src/sim/kernel/strategy-spec.js';
import { Runtime, blockedSignature, framed, parseTraces, sleep, type Go } from '../../../src/sim/goroutine/index.js';

/** The smallest model of cycle A of Meridio #578 (TAPA-v1.1.4 §6.2), with one stream. */
function model578(rt: Runtime): void {
  const cmu = rt.mutex('conduit.mu');
  const smu = rt.mutex('stream.mu');
  const smmu = rt.mutex('streamManager.mu');
  const getIPs = framed('conduit.(*Conduit).GetIPs', function* (): Go {
    yield* cmu.lock();
    cmu.unlock();
  });
  const open = framed('stream.(*Stream).Open', function* (): Go {
    yield* smu.lock();
    yield* getIPs();
    smu.unlock();
  });
  const close = framed('stream.(*Stream).Close', function* (): Go {
    yield* smu.lock();
    smu.unlock();
  });
  const stop = framed('conduit.(*streamManager).Stop', function* (): Go {
    yield* smmu.lock();
    const wg = rt.waitGroup('streamManager.Stop.wg');
    wg.add(1);
    rt.go('conduit.(*streamManager).Stop.func1', function* () {
      yield* close();
      wg.done();
    });
    yield* wg.wait();
    smmu.unlock();
  });
  rt.go('conduit.(*streamRetry).Open.func1', function* () {
    for (let attempt = 0; attempt < 3; attempt++) {
      yield* open();
      yield* sleep(1000);
    }
  });
  rt.go('conduit.(*Conduit).monitorConnection', function* () {
    yield* sleep(1000);
    yield* cmu.lock();
    yield* stop();
    cmu.unlock();
  });
}

function run(spec: StrategySpec): Runtime {
  const rt = new Runtime(new Scheduler(createStrategy(spec)));
  model578(rt);
  rt.scheduler.run({ maxSteps: 1000 });
  return rt;
}

const seedSignature = blockedSignature(parseTraces(readFileSync(new URL('../../fixtures/pprof-578.txt', import.meta.url), 'utf8')));

describe('sim/goroutine a #578-shaped model', () => {
  it('deadlocks under some schedules, and its dump blocks in the same functions as the real one', () => {
    let found: Runtime | undefined;
    let clean = 0;
    for (let seed = 1; seed <= 200 && (found === undefined || clean === 0); seed++) {
      const rt = run({ kind: 'random', seed });
      if (rt.deadlock === undefined) clean++;
      else found ??= rt;
    }
    expect(clean).to.be.greaterThan(0);
    const rt = found!;
    expect(rt.deadlock!.cycle.map((m) => m.stack[1])).to.have.members([
      'conduit.(*Conduit).GetIPs',
      'conduit.(*streamManager).Stop',
      'stream.(*Stream).Close',
    ]);
    const signature = blockedSignature(parseTraces(rt.dump()));
    expect([...signature.keys()]).to.deep.equal(['conduit.(*Conduit).GetIPs', 'conduit.(*streamManager).Stop', 'stream.(*Stream).Close']);
    for (const key of signature.keys()) expect(seedSignature.has(key), key).to.equal(true);
  });

  it('lockdep finds the stream.mu -> conduit.mu -> stream.mu cycle even in runs that do not deadlock', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rt = run({ kind: 'random', seed });
      if (rt.deadlock !== undefined) continue;
      const cycles = rt.lockOrderCycles().map((c) => c.locks.join(' -> '));
      if (cycles.length === 0) continue;
      expect(cycles).to.include('conduit.mu -> stream.mu');
      return;
    }
    expect.fail('no clean run showed the lock-order cycle');
  });

  it('is deterministic: the same strategy and seed give the same log, and the choices replay it', () => {
    const specArb: fc.Arbitrary<StrategySpec> = fc.oneof(
      fc.record({ kind: fc.constant('random' as const), seed: fc.integer() }),
      fc.record({
        kind: fc.constant('pct' as const),
        seed: fc.integer(),
        depth: fc.integer({ min: 1, max: 4 }),
        maxSteps: fc.constant(60),
      }),
      fc.record({ kind: fc.constant('choices' as const), choices: fc.array(fc.nat({ max: 5 })) }),
    );
    fc.assert(
      fc.property(specArb, (spec) => {
        const first = run(spec);
        const second = run(spec);
        expect(second.scheduler.log).to.deep.equal(first.scheduler.log);
        expect(second.deadlock).to.deep.equal(first.deadlock);
        expect(second.dump()).to.equal(first.dump());
        const replayed = run({ kind: 'replay', choices: first.scheduler.choices });
        expect(replayed.scheduler.log).to.deep.equal(first.scheduler.log);
      }),
      { numRuns: 200 },
    );
  });

  it('runs each goroutine as its own PCT thread', () => {
    const rt = run({ kind: 'pct', seed: 7 });
    const actors = new Set(rt.scheduler.log.map((e) => e.actor));
    expect([...actors].filter((a) => !a.includes('#'))).to.deep.equal([]);
    expect(actors.has('conduit.(*streamRetry).Open.func1#1')).to.equal(true);
    expect(actors.has('conduit.(*Conduit).monitorConnection#2')).to.equal(true);
  });
});
