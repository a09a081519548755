import { expect } from 'chai';
import { limits } from '../../src/core/config.js';
import type { TapaEffect } from '../../src/core/effects.js';
import { Driver, connect, nspStream, openStream, pushStreams, tapStream } from './driver.js';

const kinds = (effects: readonly TapaEffect[]): string[] => effects.map((e) => e.kind);

/** Two streams ENABLED on one conduit, a third still looking up identifiers. */
function busy(d: Driver): void {
  openStream(d, 'stream-a1');
  d.open(tapStream('stream-a2'));
  d.open(tapStream('stream-a3'));
  pushStreams(
    d,
    ['stream-a1', 'stream-a2', 'stream-a3'].map((s) => nspStream(s)),
  );
}

describe('core: shutdown', () => {
  it('NSM Close goes out in the same step as the unregisters, without waiting for them', () => {
    const d = new Driver();
    busy(d);
    const effects = d.send({ kind: 'shutdown' });
    expect(kinds(effects)).to.include.members(['unregister', 'nsmClose']);
    expect(d.state.shutdown).to.equal('draining');
  });

  it('reads of the NSP in flight are dropped; a write in flight is waited for, then withdrawn', () => {
    const d = new Driver();
    busy(d);
    const lookups = d.openCalls('getTargets').map((c) => c.op);
    expect(lookups).to.have.length(2);
    const effects = d.send({ kind: 'shutdown' });
    for (const op of lookups) expect(effects).to.deep.include({ kind: 'cancel', op });
    expect(d.openCalls('getTargets')).to.have.length(0);
  });

  it('an NSP that refuses the unregister: one attempt, no retry; complete once NSM has closed', () => {
    const d = new Driver();
    openStream(d);
    d.send({ kind: 'shutdown' });
    d.fail(d.pending('unregister').op);
    expect(d.openCalls('unregister')).to.have.length(0);
    expect(d.state.timers.size, 'only the shutdown bound is set').to.equal(1);
    d.done(d.pending('nsmClose').op);
    expect(d.last).to.deep.include({ kind: 'shutdownComplete' });
    expect(d.state.shutdown).to.equal('done');
    expect(d.state.timers.size).to.equal(0);
  });

  it('an NSM close waiting out a back-off goes at once', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    d.send({ kind: 'nsmEvent', op: d.pending('monitorConnections').op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
    d.fail(d.pending('nsmRequest').op);
    expect(d.openCalls('nsmClose')).to.have.length(0);
    d.send({ kind: 'shutdown' });
    expect(d.openCalls('nsmClose')).to.have.length(1);
  });

  it('an NSP and an NSM that never answer: given up at its share of MERIDIO_TIMEOUT, with what was left counted', () => {
    const d = new Driver(1, { timeoutMs: 10_000 });
    busy(d);
    d.open(tapStream('stream-b1', 'load-balancer-b1'));
    connect(d, ['172.16.0.9/24'], 'load-balancer-b1');
    d.send({ kind: 'shutdown' });
    expect(d.openCalls('nsmClose')).to.have.length(2);
    d.fire(d.timerOf(10_000 * limits.shutdownShareOfTimeout));
    expect(d.last).to.deep.include({ kind: 'shutdownComplete', abandoned: { targets: 1, connections: 2 } });
    expect(d.state.shutdown).to.equal('done');
    expect(d.state.pending.size).to.equal(0);
    expect(d.state.timers.size).to.equal(0);
    expect(d.state.trenches.size).to.equal(0);
  });

  it('the bound is cancelled when everything is done in time', () => {
    const d = new Driver();
    openStream(d);
    d.send({ kind: 'shutdown' });
    d.done(d.pending('unregister').op);
    d.done(d.pending('nsmClose').op);
    expect(kinds(d.last)).to.include.members(['cancelTimer', 'shutdownComplete']);
    expect(d.last.find((e) => e.kind === 'shutdownComplete')).to.deep.equal({ kind: 'shutdownComplete' });
  });
});
