import { expect } from 'chai';
import { ModelError, sleep, type RecvResult } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, runIdle } from './steered.js';

describe('sim/goroutine Chan', () => {
  it('buffers up to its capacity, then parks the sender in runtime.chansend1; values stay FIFO', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<number>('c', 2);
    const got: Array<RecvResult<number>> = [];
    const producer = rt.go('main.producer', function* () {
      for (const v of [1, 2, 3]) yield* ch.send(v);
      ch.close();
    });
    rt.scheduler.run({ maxSteps: 100, until: () => producer.state === 'blocked' });
    expect(ch.length).to.equal(2);
    expect(producer.stack).to.deep.equal(['runtime.chansend1', 'main.producer']);
    rt.go('main.consumer', function* () {
      for (let i = 0; i < 4; i++) got.push(yield* ch.recv());
    });
    runIdle(rt);
    expect(got).to.deep.equal([
      { value: 1, ok: true },
      { value: 2, ok: true },
      { value: 3, ok: true },
      { value: undefined, ok: false },
    ]);
  });

  it('unbuffered: a send parks until a receiver takes the value (rendezvous)', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<string>('c');
    const events: string[] = [];
    rt.go('main.sender', function* () {
      yield* ch.send('hello');
      events.push(`sent at ${rt.now}`);
    });
    const receiver = rt.go('main.receiver', function* () {
      yield* sleep(7);
      const r = yield* ch.recv();
      events.push(`got ${String(r.value)} at ${rt.now}`);
    });
    rt.scheduler.run({ maxSteps: 100, until: () => receiver.state === 'sleeping' && rt.scheduler.quiescent });
    expect(rt.goroutines[0]!.stack).to.deep.equal(['runtime.chansend1', 'main.sender']);
    runIdle(rt);
    expect(events).to.deep.equal(['got hello at 7', 'sent at 7']);
  });

  it('flush-before-send with tryRecv never blocks a single producer and delivers the latest value', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<number>('streamChan', 1);
    const got: number[] = [];
    const producer = rt.go('conduit.(*configurationImpl).watchStreams', function* () {
      for (const v of [1, 2, 3]) {
        ch.tryRecv();
        yield* ch.send(v);
      }
    });
    rt.go('conduit.(*configurationImpl).streamHandler', function* () {
      yield* sleep(5);
      const r = yield* ch.recv();
      if (r.ok) got.push(r.value);
    });
    runIdle(rt);
    expect(got).to.deep.equal([3]);
    expect(producer.state).to.equal('exited');
    expect(rt.scheduler.log.filter((e) => e.actor === producer.actor).map((e) => e.label)).to.deep.equal([
      'start',
      'send streamChan',
      'send streamChan',
      'send streamChan',
    ]);
  });

  it('tryRecv on an empty channel returns undefined; trySend fails on a full one', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<number>('c', 1);
    expect(ch.tryRecv()).to.equal(undefined);
    expect(ch.trySend(1)).to.equal(true);
    expect(ch.trySend(2)).to.equal(false);
    expect(ch.tryRecv()).to.deep.equal({ value: 1, ok: true });
    ch.close();
    expect(ch.tryRecv()).to.deep.equal({ value: undefined, ok: false });
  });

  it('close wakes parked receivers with ok: false after the buffer drains', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<number>('c', 1);
    const got: Array<RecvResult<number>> = [];
    for (let i = 0; i < 2; i++) {
      rt.go('main.receiver', function* () {
        got.push(yield* ch.recv());
      });
    }
    rt.scheduler.run({ maxSteps: 100 });
    expect(rt.goroutines.map((g) => g.state)).to.deep.equal(['blocked', 'blocked']);
    expect(ch.trySend(9)).to.equal(true);
    ch.close();
    runIdle(rt);
    expect(got).to.deep.equal([
      { value: 9, ok: true },
      { value: undefined, ok: false },
    ]);
  });

  it('send on a closed channel and closing twice are ModelErrors', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<number>('c', 1);
    ch.close();
    expect(() => ch.close()).to.throw(ModelError, /close of closed channel c/);
    rt.go('main.main', function* () {
      yield* ch.send(1);
    });
    expect(() => rt.scheduler.run({ maxSteps: 10 })).to.throw(ModelError, /send on closed channel c.*main\.main#1/);
  });

  it('a parked sender panics when its channel is closed', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<number>('c');
    rt.go('main.main', function* () {
      yield* ch.send(1);
    });
    rt.scheduler.run({ maxSteps: 10 });
    ch.close();
    expect(() => rt.scheduler.run({ maxSteps: 10 })).to.throw(ModelError, /send on closed channel c/);
  });
});
