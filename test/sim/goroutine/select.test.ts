import { expect } from 'chai';
import { recvCase, select, sendCase, sleep, type Go } from '../../../src/sim/goroutine/index.js';
import { fifoRuntime, readyTasks, runIdle, steeredRuntime } from './steered.js';

describe('sim/goroutine select, contexts and sleep', () => {
  it('sleep advances virtual time only, waking sleepers in due order', () => {
    const rt = fifoRuntime();
    const woke: string[] = [];
    for (const ms of [250, 100]) {
      rt.go('main.sleeper', function* () {
        yield* sleep(ms);
        woke.push(`${ms} at ${rt.now}`);
      });
    }
    const g = rt.goroutines[0]!;
    rt.scheduler.run({ maxSteps: 2 });
    expect(g.state).to.equal('sleeping');
    expect(g.stack).to.deep.equal(['time.Sleep', 'main.sleeper']);
    runIdle(rt);
    expect(woke).to.deep.equal(['100 at 100', '250 at 250']);
    expect(rt.now).to.equal(250);
  });

  it('selects the context when its deadline passes first, parked in runtime.selectgo', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<string>('c');
    const { ctx } = rt.withTimeout(rt.background(), 50);
    let result: unknown;
    const g = rt.go('main.main', function* () {
      const r = yield* select(recvCase(ch), recvCase(ctx.done()), recvCase(rt.after(100)));
      result = { index: r.index, at: rt.now, err: ctx.err() };
    });
    rt.scheduler.run({ maxSteps: 1 });
    expect(g.state).to.equal('blocked');
    expect(g.stack).to.deep.equal(['runtime.selectgo', 'main.main']);
    expect(g.dumpStack).to.deep.equal(['runtime.gopark', 'runtime.selectgo', 'main.main']);
    runIdle(rt);
    expect(result).to.deep.equal({ index: 1, at: 50, err: 'context deadline exceeded' });
    expect(rt.deadlock).to.equal(undefined);
  });

  it('selects the timer when it fires before the deadline, with the virtual time as value', () => {
    const rt = fifoRuntime();
    const { ctx } = rt.withTimeout(rt.background(), 200);
    let result: unknown;
    rt.go('main.main', function* () {
      const r = yield* select(recvCase(ctx.done()), recvCase(rt.after(100)));
      result = r.index === 1 ? { index: 1, value: r.value, err: ctx.err() } : r;
    });
    runIdle(rt);
    expect(result).to.deep.equal({ index: 1, value: 100, err: undefined });
    // The deadline timer still fires later and cancels the context.
    expect(rt.now).to.equal(200);
    expect(ctx.err()).to.equal('context deadline exceeded');
  });

  it('selects a channel that another goroutine feeds, and a cancel from another goroutine', () => {
    const rt = fifoRuntime();
    const ch = rt.chan<string>('c');
    const { ctx, cancel } = rt.withCancel(rt.background());
    const results: unknown[] = [];
    rt.go('main.loop', function* () {
      for (;;) {
        const r = yield* select(recvCase(ch), recvCase(ctx.done()));
        results.push({ index: r.index, value: r.value, at: rt.now });
        if (r.index === 1) return;
      }
    });
    rt.go('main.feeder', function* () {
      yield* sleep(10);
      yield* ch.send('x');
      yield* sleep(5);
      cancel();
    });
    runIdle(rt);
    expect(results).to.deep.equal([
      { index: 0, value: 'x', at: 10 },
      { index: 1, value: undefined, at: 15 },
    ]);
    expect(ctx.err()).to.equal('context canceled');
  });

  it('when several cases are ready, each is a task and the strategy picks the case', () => {
    const { rt, steer } = steeredRuntime();
    const a = rt.chan<string>('a', 1);
    const b = rt.chan<string>('b', 1);
    a.trySend('from a');
    b.trySend('from b');
    const picked: unknown[] = [];
    rt.go('main.main', function* (): Go {
      const r = yield* select(recvCase(a), recvCase(b), sendCase(a, 'more'));
      picked.push([r.index, r.value]);
    });
    rt.scheduler.step();
    expect(readyTasks(rt)).to.deep.equal(['main.main#1: select case 0: recv a', 'main.main#1: select case 1: recv b']);
    steer.pick = 1;
    rt.scheduler.step();
    expect(picked).to.deep.equal([[1, 'from b']]);
    expect(rt.scheduler.pending).to.equal(0);
    expect([a.length, b.length]).to.deep.equal([1, 0]);
  });

  it('cancelling a parent cancels its children; a child of a done parent is born done', () => {
    const rt = fifoRuntime();
    const parent = rt.withCancel(rt.background());
    const child = rt.withCancel(parent.ctx);
    const timed = rt.withTimeout(child.ctx, 100);
    expect(rt.scheduler.pending).to.equal(1);
    parent.cancel();
    expect([parent.ctx.err(), child.ctx.err(), timed.ctx.err()]).to.deep.equal([
      'context canceled',
      'context canceled',
      'context canceled',
    ]);
    // The deadline timer went with it.
    expect(rt.scheduler.pending).to.equal(0);
    expect(child.ctx.done().isClosed).to.equal(true);
    const late = rt.withTimeout(parent.ctx, 5);
    expect(late.ctx.err()).to.equal('context canceled');
    expect(rt.scheduler.pending).to.equal(0);
    expect(rt.background().err()).to.equal(undefined);
  });

  it('a timeout under an earlier deadline inherits it; cancel is idempotent', () => {
    const rt = fifoRuntime();
    const outer = rt.withTimeout(rt.background(), 30);
    const inner = rt.withTimeout(outer.ctx, 100);
    expect(inner.ctx.deadline).to.equal(30);
    runIdle(rt);
    expect(rt.now).to.equal(30);
    expect(inner.ctx.err()).to.equal('context deadline exceeded');
    inner.cancel();
    expect(inner.ctx.err()).to.equal('context deadline exceeded');
  });
});
