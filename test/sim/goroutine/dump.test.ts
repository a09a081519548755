import { expect } from 'chai';
import { blockedSignature, frame, parseTraces, sleep, type Go } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime } from './steered.js';

describe('sim/goroutine dump', () => {
  it('prints the live goroutines in pprof traces form, grouped, counted and sorted', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('srv.mu');
    const wg = rt.waitGroup('srv.wg');
    const events = rt.chan<string>('events');
    rt.go('main.main', function* () {
      yield* mu.lock();
      yield* frame(
        'main.(*Server).Stop',
        (function* (): Go {
          wg.add(1);
          rt.go('main.(*Server).Stop.func1', () =>
            frame(
              'main.(*Conn).Close',
              (function* (): Go {
                yield* mu.lock();
                wg.done();
              })(),
            ),
          );
          yield* wg.wait();
        })(),
      );
    });
    for (let i = 0; i < 2; i++) {
      rt.go('main.client', () => frame('main.(*Server).Get', mu.lock()));
    }
    rt.go('main.watch', () => events.recv());
    rt.go('main.ticker', function* () {
      for (;;) yield* sleep(1000);
    });
    rt.go('main.done', function* () {});
    rt.scheduler.run({ maxSteps: 20 });
    expect(rt.deadlock?.cycle.map((m) => m.goroutine)).to.deep.equal(['main.(*Server).Stop.func1#7', 'main.main#1']);
    const text = rt.dump();
    expect(text).to.equal(
      [
        '-----------+-------------------------------------------------------',
        '         2   runtime.gopark',
        '             runtime.goparkunlock (inline)',
        '             runtime.semacquire1',
        '             sync.runtime_SemacquireMutex',
        '             sync.(*Mutex).lockSlow',
        '             sync.(*Mutex).Lock (inline)',
        '             main.(*Server).Get',
        '             main.client',
        '-----------+-------------------------------------------------------',
        '         1   runtime.gopark',
        '             runtime.chanrecv',
        '             runtime.chanrecv1',
        '             main.watch',
        '-----------+-------------------------------------------------------',
        '         1   runtime.gopark',
        '             runtime.goparkunlock (inline)',
        '             runtime.semacquire1',
        '             sync.runtime_Semacquire',
        '             sync.(*WaitGroup).Wait',
        '             main.(*Server).Stop',
        '             main.main',
        '-----------+-------------------------------------------------------',
        '         1   runtime.gopark',
        '             runtime.goparkunlock (inline)',
        '             runtime.semacquire1',
        '             sync.runtime_SemacquireMutex',
        '             sync.(*Mutex).lockSlow',
        '             sync.(*Mutex).Lock (inline)',
        '             main.(*Conn).Close',
        '             main.(*Server).Stop.func1',
        '-----------+-------------------------------------------------------',
        '         1   runtime.gopark',
        '             time.Sleep',
        '             main.ticker',
        '-----------+-------------------------------------------------------',
        '',
      ].join('\n'),
    );
    expect(blockedSignature(parseTraces(text))).to.deep.equal(
      new Map([
        ['main.(*Conn).Close', 1],
        ['main.(*Server).Get', 2],
        ['main.(*Server).Stop', 1],
      ]),
    );
  });

  it('shows a runnable goroutine with its model frames only', () => {
    const rt = fifoRuntime();
    rt.go('main.main', () => frame('main.f', sleep(0)));
    const dash = '-----------+-------------------------------------------------------';
    expect(rt.dump()).to.equal(`${dash}\n         1   main.main\n${dash}\n`);
    rt.scheduler.step();
    rt.scheduler.step();
    expect(rt.dump()).to.equal('-----------+-------------------------------------------------------\n');
  });
});
