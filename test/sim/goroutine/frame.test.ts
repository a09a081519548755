import { expect } from 'chai';
import { ModelError, frame, framed, sleep, type Go } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, runIdle } from './steered.js';

describe('sim/goroutine frames and steps', () => {
  it('pushes a frame while the body runs and pops it on return and on a throw', () => {
    const rt = fifoRuntime();
    const seen: string[][] = [];
    const mu = rt.mutex('m');
    const g = rt.go('main.main', function* () {
      yield* frame(
        'main.outer',
        (function* (): Go {
          seen.push([...(yield* frame('main.inner', here()))]);
        })(),
      );
      try {
        yield* frame(
          'main.failing',
          (function* (): Go {
            yield* sleep(1);
            throw new Error('boom');
          })(),
        );
      } catch {
        seen.push([...(yield* here())]);
      }
      yield* mu.lock();
      yield* frame('main.parked', mu.lock());
    });
    function* here(): Go<readonly string[]> {
      yield* sleep(0);
      return g.stack;
    }
    let error: ModelError | undefined;
    try {
      runIdle(rt);
    } catch (e) {
      error = e as ModelError;
    }
    expect(seen).to.deep.equal([['main.inner', 'main.outer', 'main.main'], ['main.main']]);
    // Locking m again is raised with the frame of the second lock still on the stack.
    expect(error?.goStack).to.deep.equal(['sync.(*Mutex).Lock', 'main.parked', 'main.main']);
  });

  it('framed keeps `this` and the arguments', () => {
    const rt = fifoRuntime();
    class Conduit {
      readonly ips = ['10.0.0.1'];
      getIPs = framed('conduit.(*Conduit).GetIPs', function* (this: Conduit, n: number): Go<string[]> {
        yield* sleep(1);
        return this.ips.slice(0, n);
      });
    }
    const c = new Conduit();
    let got: string[] = [];
    const g = rt.go('stream.(*Stream).Open', function* () {
      got = yield* c.getIPs(1);
    });
    rt.scheduler.run({ maxSteps: 1 });
    const stack = g.stack;
    runIdle(rt);
    expect(got).to.deep.equal(['10.0.0.1']);
    expect(stack).to.deep.equal(['time.Sleep', 'conduit.(*Conduit).GetIPs', 'stream.(*Stream).Open']);
  });

  it('labels each step with what it completes, one task per step', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    const ch = rt.chan<number>('c', 1);
    rt.go('main.main', function* () {
      yield* mu.lock();
      yield* ch.send(1);
      yield* ch.recv();
      mu.unlock();
      yield* sleep(5);
    });
    runIdle(rt);
    expect(rt.scheduler.log.map((e) => `${e.time} ${e.actor}: ${e.label}`)).to.deep.equal([
      '0 main.main#1: start',
      '0 main.main#1: lock m',
      '0 main.main#1: send c',
      '0 main.main#1: recv c',
      '5 main.main#1: sleep 5ms',
    ]);
  });

  it('a body that throws ends the run with a ModelError naming the goroutine', () => {
    const rt = fifoRuntime();
    const g = rt.go('main.main', function* () {
      yield* sleep(1);
      throw new Error('boom');
    });
    expect(() => runIdle(rt)).to.throw(ModelError, /goroutine panicked: boom.*main\.main#1/);
    expect(g.state).to.equal('panicked');
  });

  it('yielding a primitive without yield* is a ModelError that says so', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    rt.go('main.main', function* (): Go {
      yield mu.lock() as never;
    });
    expect(() => runIdle(rt)).to.throw(ModelError, /yielded a generator, not an op: call primitives with yield\*/);
  });

  it('frame outside a goroutine step is an error', () => {
    expect(() => frame('main.f', sleep(1)).next()).to.throw(/outside a goroutine step/);
  });
});
