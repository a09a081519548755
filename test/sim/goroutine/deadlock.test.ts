import { expect } from 'chai';
import { formatDeadlock, frame, framed, sleep, type Deadlock, type Go, type Runtime } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, runIdle } from './steered.js';

/** Two goroutines take A and B in opposite orders; a third keeps ticking. */
function abba(rt: Runtime): void {
  const a = rt.mutex('A');
  const b = rt.mutex('B');
  const both = (first: typeof a, second: typeof a, fn: string) =>
    framed(fn, function* (): Go {
      yield* first.lock();
      yield* sleep(10);
      yield* second.lock();
      second.unlock();
      first.unlock();
    });
  rt.go('main.one', both(a, b, 'main.(*T).AB'));
  rt.go('main.two', both(b, a, 'main.(*T).BA'));
  rt.go('main.ticker', function* () {
    for (let i = 0; i < 100; i++) yield* sleep(3);
  });
}

describe('sim/goroutine deadlock detection', () => {
  it('reports an ABBA cycle at the step that closes it, while another goroutine can still run', () => {
    const rt = fifoRuntime();
    const hooked: Deadlock[] = [];
    rt.onDeadlock = (d) => hooked.push(d);
    abba(rt);
    rt.scheduler.run({ maxSteps: 1000, until: () => rt.deadlock !== undefined });
    const d = rt.deadlock!;
    expect(hooked).to.deep.equal([d]);
    const last = rt.scheduler.log[rt.scheduler.log.length - 1]!;
    expect(d.step).to.equal(last.seq);
    expect(d.time).to.equal(10);
    // The step that closed it is main.two's attempt on A, after main.one parked on B.
    expect(`${last.actor}: ${last.label}`).to.equal('main.two#2: sleep 10ms');
    expect(d.closedBy).to.equal('main.two#2');
    expect(d.cycle).to.deep.equal([
      {
        goroutine: 'main.two#2',
        stack: ['sync.(*Mutex).Lock', 'main.(*T).BA', 'main.two'],
        holds: ['B'],
        waitsFor: { op: 'lock', object: 'A', on: ['main.one#1'] },
      },
      {
        goroutine: 'main.one#1',
        stack: ['sync.(*Mutex).Lock', 'main.(*T).AB', 'main.one'],
        holds: ['A'],
        waitsFor: { op: 'lock', object: 'B', on: ['main.two#2'] },
      },
    ]);
    expect(d.stuck).to.deep.equal(d.cycle);
    // The ticker could still run: the report did not wait for the world to stop.
    expect(rt.goroutines[2]!.state).to.equal('sleeping');
    expect(rt.scheduler.pending).to.be.greaterThan(0);
    expect(rt.goroutines.slice(0, 2).map((g) => g.state)).to.deep.equal(['deadlocked', 'deadlocked']);
    // The rest of the world runs on; the cycle is never scheduled again nor reported twice.
    runIdle(rt);
    expect(rt.goroutines.map((g) => g.state)).to.deep.equal(['deadlocked', 'deadlocked', 'exited']);
    expect(rt.deadlocks).to.have.length(1);
    expect(formatDeadlock(d)).to.equal(
      [
        'deadlock at 10ms (step 9), closed by main.two#2:',
        '  main.two#2',
        '    waits: lock A (on main.one#1)',
        '    holds: B',
        '      sync.(*Mutex).Lock',
        '      main.(*T).BA',
        '      main.two',
        '  main.one#1',
        '    waits: lock B (on main.two#2)',
        '    holds: A',
        '      sync.(*Mutex).Lock',
        '      main.(*T).AB',
        '      main.one',
      ].join('\n'),
    );
  });

  it('reports a cycle through a WaitGroup: G1 holds A and waits; its debtor G2 waits for A', () => {
    const rt = fifoRuntime();
    const a = rt.mutex('conduit.mu');
    const wg = rt.waitGroup('sm.Stop.wg');
    const closer = framed('stream.(*Stream).Close', function* (): Go {
      yield* a.lock();
      a.unlock();
    });
    rt.go('conduit.(*Conduit).monitorConnection', function* () {
      yield* a.lock();
      yield* frame(
        'conduit.(*streamManager).Stop',
        (function* (): Go {
          wg.add(1);
          rt.go('conduit.(*streamManager).Stop.func1', function* () {
            yield* closer();
            wg.done();
          });
          yield* wg.wait();
        })(),
      );
      a.unlock();
    });
    // A late goroutine that wants the lock is parked behind the cycle.
    rt.go('tap.(*Tap).Open', function* () {
      yield* sleep(1);
      yield* a.lock();
    });
    rt.scheduler.run({ maxSteps: 100 });
    const d = rt.deadlock!;
    expect(d.cycle.map((m) => [m.goroutine, m.waitsFor, m.holds, m.stack])).to.deep.equal([
      [
        'conduit.(*streamManager).Stop.func1#3',
        { op: 'lock', object: 'conduit.mu', on: ['conduit.(*Conduit).monitorConnection#1'] },
        [],
        ['sync.(*Mutex).Lock', 'stream.(*Stream).Close', 'conduit.(*streamManager).Stop.func1'],
      ],
      [
        'conduit.(*Conduit).monitorConnection#1',
        { op: 'wait', object: 'sm.Stop.wg', on: ['conduit.(*streamManager).Stop.func1#3'] },
        ['conduit.mu'],
        ['sync.(*WaitGroup).Wait', 'conduit.(*streamManager).Stop', 'conduit.(*Conduit).monitorConnection'],
      ],
    ]);
    expect(rt.deadlocks).to.have.length(1);
    // tap.Open parked later, behind the cycle: stuck too, but no new cycle and no new report.
    expect(rt.goroutines[1]!.state).to.equal('blocked');
    expect(d.stuck.map((m) => m.goroutine)).to.deep.equal([
      'conduit.(*streamManager).Stop.func1#3',
      'conduit.(*Conduit).monitorConnection#1',
    ]);
  });

  it('lists the goroutines already parked behind a cycle as stuck', () => {
    const rt = fifoRuntime();
    const a = rt.mutex('A');
    const b = rt.mutex('B');
    rt.go('main.one', function* () {
      yield* a.lock();
      yield* sleep(10);
      yield* b.lock();
    });
    rt.go('main.bystander', function* () {
      yield* sleep(5);
      yield* a.lock();
    });
    rt.go('main.two', function* () {
      yield* b.lock();
      yield* sleep(20);
      yield* a.lock();
    });
    rt.scheduler.run({ maxSteps: 100 });
    const d = rt.deadlock!;
    expect(d.cycle.map((m) => m.goroutine)).to.deep.equal(['main.two#3', 'main.one#1']);
    expect(d.stuck.map((m) => m.goroutine)).to.deep.equal(['main.two#3', 'main.one#1', 'main.bystander#2']);
    expect(d.stuck[2]!.waitsFor).to.deep.equal({ op: 'lock', object: 'A', on: ['main.one#1'] });
  });

  it('reports a stall through a channel: the receiver holds the lock its only sender wants', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('conduit.mu');
    const ch = rt.chan<string>('vipChan', 1);
    const receiver = rt.go('trench.(*configurationImpl).vipHandler', function* () {
      yield* mu.lock();
      yield* ch.recv();
      mu.unlock();
    });
    const sender = rt.go('trench.(*configurationImpl).watchVIPs', function* () {
      yield* sleep(1);
      yield* mu.lock();
      yield* ch.send('vip');
      mu.unlock();
    });
    ch.addSender(sender);
    rt.scheduler.run({ maxSteps: 100 });
    expect(receiver.stack[0]).to.equal('runtime.chanrecv1');
    const d = rt.deadlock!;
    expect(d.cycle.map((m) => [m.goroutine, m.waitsFor])).to.deep.equal([
      ['trench.(*configurationImpl).watchVIPs#2', { op: 'lock', object: 'conduit.mu', on: [receiver.actor] }],
      [receiver.actor, { op: 'recv', object: 'vipChan', on: [sender.actor] }],
    ]);
  });

  it('does not report a receiver that another, free, registered sender could still wake', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    const ch = rt.chan<number>('c', 1);
    rt.go('main.receiver', function* () {
      yield* mu.lock();
      yield* ch.recv();
      mu.unlock();
    });
    const stuckSender = rt.go('main.stuck', function* () {
      yield* mu.lock();
      yield* ch.send(1);
    });
    const freeSender = rt.go('main.free', function* () {
      yield* sleep(100);
      yield* ch.send(2);
    });
    ch.addSender(stuckSender);
    ch.addSender(freeSender);
    rt.scheduler.run({ maxSteps: 4 });
    expect(rt.goroutines.slice(0, 2).map((g) => g.state)).to.deep.equal(['blocked', 'blocked']);
    expect(rt.deadlock).to.equal(undefined);
    runIdle(rt);
    expect(rt.deadlock).to.equal(undefined);
    expect(rt.goroutines.map((g) => g.state)).to.deep.equal(['exited', 'exited', 'exited']);
  });

  it('does not report waits that a timer, a cancel or an unregistered party could end', () => {
    const rt = fifoRuntime();
    const mu = rt.mutex('m');
    const ch = rt.chan<number>('unregistered');
    const { ctx } = rt.withCancel(rt.background());
    rt.go('main.one', function* () {
      yield* mu.lock();
      yield* ch.recv();
    });
    rt.go('main.two', function* () {
      yield* mu.lock();
    });
    rt.go('main.three', function* () {
      yield* mu.lock();
    });
    rt.go('main.four', function* () {
      yield* ctx.done().recv();
    });
    runIdle(rt);
    expect(rt.goroutines.map((g) => g.state)).to.deep.equal(['blocked', 'blocked', 'blocked', 'blocked']);
    expect(rt.deadlock).to.equal(undefined);
  });
});
