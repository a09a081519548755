import { expect } from 'chai';
import { watchFilterMatches } from '../../src/core/index.js';
import { Driver, acquire, connect, nspStream, openStream, pushStreams, tapStream, watched } from './driver.js';

describe('core: Watch', () => {
  it('sends a snapshot on subscribe, even an empty one', () => {
    const d = new Driver();
    d.send({ kind: 'tapWatch', watcher: 1, filter: undefined });
    expect(d.last).to.deep.equal([{ kind: 'publish', watcher: 1, statuses: [] }]);
  });

  it('walks UNAVAILABLE -> UNDEFINED -> PENDING -> OPEN, one snapshot per change, echoing the Open message', () => {
    const d = new Driver();
    d.send({ kind: 'tapWatch', watcher: 1, filter: undefined });
    const seen: string[] = [];
    const record = (): void => {
      const e = d.last.find((x) => x.kind === 'publish');
      if (e?.kind === 'publish') seen.push(e.statuses.map((s) => s.status).join(','));
    };
    d.open(tapStream('stream-a1'));
    record();
    expect(d.last.find((x) => x.kind === 'publish')).to.deep.include({
      statuses: [{ status: 'UNAVAILABLE', stream: tapStream('stream-a1') }],
    });
    connect(d);
    record();
    pushStreams(d, [nspStream('stream-a1')]);
    record();
    acquire(d);
    record();
    expect(seen).to.deep.equal(['UNAVAILABLE', 'UNDEFINED', 'PENDING', 'OPEN']);
    const publishes = d.all.filter((e) => e.kind === 'publish');
    expect(publishes).to.have.length(5); // the empty first snapshot, then one per change
  });

  it('a closed stream disappears from Watch at once', () => {
    const d = new Driver();
    openStream(d);
    d.send({ kind: 'tapWatch', watcher: 7, filter: undefined });
    expect(d.lastSnapshot(7)).to.deep.equal([{ name: 'stream-a1', status: 'OPEN' }]);
    d.close(tapStream('stream-a1'));
    expect(d.lastSnapshot(7)).to.deep.equal([]);
  });

  it('filters like Meridio: empty names and absent levels are wildcards', () => {
    const s = tapStream('stream-a1', 'load-balancer-a1', 'trench-a');
    expect(watchFilterMatches(undefined, s)).to.equal(true);
    expect(watchFilterMatches({ name: '' }, s)).to.equal(true);
    expect(watchFilterMatches({ name: 'stream-a1' }, s)).to.equal(true);
    expect(watchFilterMatches({ name: 'stream-a2' }, s)).to.equal(false);
    expect(watchFilterMatches({ name: '', conduit: { name: 'load-balancer-a1' } }, s)).to.equal(true);
    expect(watchFilterMatches({ name: '', conduit: { name: 'load-balancer-b1' } }, s)).to.equal(false);
    expect(watchFilterMatches({ name: '', conduit: { name: '', trench: { name: 'trench-b' } } }, s)).to.equal(false);
    expect(watchFilterMatches({ name: '', conduit: { name: '', trench: { name: '' } } }, s)).to.equal(true);
  });

  it('a subscriber is only sent snapshots about streams its filter sees; unwatch stops them', () => {
    const d = new Driver();
    d.send({ kind: 'tapWatch', watcher: 1, filter: { name: 'stream-a2' } });
    d.send({ kind: 'tapWatch', watcher: 2, filter: undefined });
    d.open(tapStream('stream-a1'));
    expect(d.last.filter((e) => e.kind === 'publish').map((e) => (e.kind === 'publish' ? e.watcher : 0))).to.deep.equal([2]);
    d.send({ kind: 'tapUnwatch', watcher: 2 });
    d.open(tapStream('stream-a3'));
    expect(d.last.filter((e) => e.kind === 'publish')).to.deep.equal([]);
    expect(d.replies()).to.deep.equal([{ kind: 'reply', request: 2 }]);
  });
});

describe('core: Open and Close are applied in order', () => {
  it('Close then Open of an OPEN stream ends open: unregister, then a new target', () => {
    const d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    d.open(tapStream('stream-a1'));
    d.done(d.pending('unregister').op);
    acquire(d);
    const key = JSON.stringify(['trench-a', 'load-balancer-a1', 'stream-a1']);
    expect(watched(d.state, key)?.status).to.equal('OPEN');
    expect(d.openCalls('nsmClose')).to.have.length(0);
  });

  it('Open then Close with the acquisition half-way ends closed, with nothing left at the NSP', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    pushStreams(d, [nspStream('stream-a1')]);
    d.send({ kind: 'nspTargets', op: d.pending('getTargets').op, targets: [] });
    const reg = d.pending('register');
    d.close(tapStream('stream-a1'));
    d.done(reg.op);
    const un = d.pending('unregister');
    expect(un.target.ips).to.deep.equal(reg.target.ips);
    d.done(un.op);
    d.done(d.pending('nsmClose').op);
    expect(d.state.trenches.size).to.equal(0);
  });
});

describe('core: Watch, what each subscriber is sent', () => {
  it('a filter naming the trench matches its streams; a stream message without a conduit matches only wildcards', () => {
    const s = tapStream('stream-a1', 'load-balancer-a1', 'trench-a');
    expect(watchFilterMatches({ name: '', conduit: { name: '', trench: { name: 'trench-a' } } }, s)).to.equal(true);
    expect(watchFilterMatches({ name: '', conduit: { name: 'load-balancer-a1', trench: { name: 'trench-a' } } }, s)).to.equal(true);
    expect(watchFilterMatches({ name: '', conduit: { name: 'load-balancer-a1' } }, { name: 'stream-a1' })).to.equal(false);
    expect(watchFilterMatches({ name: '', conduit: { name: '', trench: { name: 'trench-a' } } }, { name: 'stream-a1' })).to.equal(false);
    expect(
      watchFilterMatches({ name: '', conduit: { name: '', trench: { name: 'trench-a' } } }, { name: 'stream-a1', conduit: { name: 'c' } }),
    ).to.equal(false);
  });

  it('a snapshot holds only the streams the filter sees, and goes out when any one of them changes', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    d.open(tapStream('stream-a2'));
    d.send({ kind: 'tapWatch', watcher: 1, filter: { name: 'stream-a2' } });
    expect(d.lastSnapshot(1)).to.deep.equal([{ name: 'stream-a2', status: 'UNAVAILABLE' }]);
    connect(d); // both streams change; the watcher sees one of them
    expect(d.last.filter((e) => e.kind === 'publish')).to.have.length(1);
    expect(d.lastSnapshot(1)).to.deep.equal([{ name: 'stream-a2', status: 'UNDEFINED' }]);
  });
});
