import { expect } from 'chai';
import { limits } from '../../src/core/config.js';
import {
  Driver,
  IP_A,
  IP_B,
  acquire,
  answered,
  connect,
  nspStream,
  openStream,
  pushStreams,
  tapStream,
  target,
  targets,
  watched,
} from './driver.js';

const status = (d: Driver): string => watched(d.state, JSON.stringify(['trench-a', 'load-balancer-a1', 'stream-a1']))?.status ?? 'absent';

function connected(d: Driver, maxTargets = 100): void {
  d.open(tapStream('stream-a1'));
  connect(d);
  pushStreams(d, [nspStream('stream-a1', 'load-balancer-a1', maxTargets)]);
}

describe('core: target protocol', () => {
  it('lookup: asks the NSP for every target of the stream, any status', () => {
    const d = new Driver();
    connected(d);
    const call = d.pending('getTargets');
    expect(call.filter.status).to.equal('ANY');
    expect(call.filter.type).to.equal('DEFAULT');
    expect(call.filter.stream?.name).to.equal('stream-a1');
    expect(call.filter.stream?.conduit?.name).to.equal('load-balancer-a1');
    expect(call.filter.stream?.conduit?.trench?.name).to.equal('trench-a');
    expect(status(d)).to.equal('PENDING');
  });

  it('register DISABLED with an identifier that no other target holds; our own IPs do not count', () => {
    const d = new Driver(3);
    connected(d, 3);
    targets(d, [target([IP_B], 1, 'ENABLED'), target([IP_A], 2, 'ENABLED'), target(['172.16.0.9/24'], 3, 'DISABLED')]);
    const reg = d.pending('register');
    expect(reg.target.status).to.equal('DISABLED');
    expect(reg.target.ips).to.deep.equal([IP_A]);
    expect(reg.target.type).to.equal('DEFAULT');
    expect(reg.target.context).to.deep.equal({ identifier: '2' });
  });

  it('the identifier is drawn from the seed: same seed, same identifier; it stays in [1, maxTargets]', () => {
    const ids = (seed: number): string | undefined => {
      const d = new Driver(seed);
      connected(d, 5);
      targets(d, []);
      return d.pending('register').target.context['identifier'];
    };
    expect(ids(11)).to.equal(ids(11));
    const seen = new Set(Array.from({ length: 40 }, (_, i) => ids(i)));
    expect([...seen].every((s) => Number(s) >= 1 && Number(s) <= 5)).to.equal(true);
    expect(seen.size).to.be.greaterThan(1);
  });

  it('verify finds no collision: register ENABLED, then OPEN and a refresh timer of nspEntryTimeout', () => {
    const d = new Driver();
    connected(d);
    targets(d, []);
    d.done(d.pending('register').op);
    expect(status(d)).to.equal('PENDING');
    targets(d, [
      target(
        [IP_A],
        Number(d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.streams.get('stream-a1')!.identifier),
        'DISABLED',
      ),
    ]);
    const enable = d.pending('register');
    expect(enable.target.status).to.equal('ENABLED');
    d.done(enable.op);
    expect(status(d)).to.equal('OPEN');
    expect(d.timerOf(30_000)).to.be.a('number');
  });

  it('collision at verify: re-draw an identifier the others do not hold and register again', () => {
    const d = new Driver();
    connected(d, 4);
    targets(d, []);
    const first = d.pending('register');
    d.done(first.op);
    const mine = Number(first.target.context['identifier']);
    targets(d, [target([IP_B], mine, 'DISABLED'), target(['172.16.0.7/24'], (mine % 4) + 1, 'ENABLED')]);
    const again = d.pending('register');
    expect(again.target.status).to.equal('DISABLED');
    const next = Number(again.target.context['identifier']);
    expect(next).to.not.equal(mine);
    expect(next).to.not.equal((mine % 4) + 1);
    d.done(again.op);
    targets(d, [target([IP_B], mine, 'DISABLED')]);
    expect(d.pending('register').target.status).to.equal('ENABLED');
  });

  it(`gives up after ${limits.maxCollisionRedraws} re-draws in a row: UNAVAILABLE, retry after about 1 s`, () => {
    const d = new Driver();
    connected(d, 50);
    targets(d, []);
    for (let i = 0; i <= limits.maxCollisionRedraws; i++) {
      const reg = d.pending('register');
      d.done(reg.op);
      targets(d, [target([IP_B], Number(reg.target.context['identifier']), 'DISABLED')]);
    }
    expect(d.openCalls('register')).to.have.length(0);
    expect(status(d)).to.equal('UNAVAILABLE');
    d.fire(d.retryTimer());
    expect(d.pending('getTargets')).to.be.an('object');
  });

  it('full stream at lookup: "no identifier available", UNAVAILABLE, retry after about 1 s', () => {
    const d = new Driver();
    connected(d, 2);
    targets(d, [target([IP_B], 1, 'ENABLED'), target(['172.16.0.9/24'], 2, 'ENABLED')]);
    expect(d.openCalls('register')).to.have.length(0);
    expect(status(d)).to.equal('UNAVAILABLE');
    d.fire(d.retryTimer());
    targets(d, [target([IP_B], 1, 'ENABLED')]);
    expect(d.pending('register').target.context['identifier']).to.equal('2');
  });

  it('full stream at lookup while holding a DISABLED target: give it back, then back off', () => {
    const d = new Driver();
    connected(d, 1);
    const id = acquire(d);
    d.fire(d.timerOf(30_000));
    targets(d, [target([IP_A], id, 'DISABLED')]); // the NSP lost us and our own register re-created us DISABLED
    targets(d, [target([IP_B], id, 'ENABLED')]); // meanwhile another pod took the only slot
    const un = d.pending('unregister');
    expect(un.target.ips).to.deep.equal([IP_A]);
    expect(status(d)).to.equal('UNAVAILABLE');
    d.done(un.op);
    expect(d.retryTimer()).to.be.a('number');
  });

  it('full stream at verify: unregister our DISABLED target to free the slot, then back off', () => {
    const d = new Driver();
    connected(d, 1);
    targets(d, []);
    d.done(d.pending('register').op);
    targets(d, [target([IP_B], 1, 'DISABLED')]);
    const un = d.pending('unregister');
    expect(un.target.ips).to.deep.equal([IP_A]);
    expect(status(d)).to.equal('UNAVAILABLE');
    d.done(un.op);
    expect(d.openCalls('getTargets')).to.have.length(0);
    d.fire(d.retryTimer());
    expect(d.pending('getTargets')).to.be.an('object');
  });

  it('back-off delays are jittered around 1 s from the seed, so contending pods fall out of step', () => {
    const delays = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const d = new Driver(seed);
      connected(d, 1);
      targets(d, [target([IP_B], 1, 'ENABLED')]);
      const t = d.last.find((e) => e.kind === 'setTimer');
      if (t?.kind === 'setTimer') delays.add(t.afterMs);
    }
    expect([...delays].every((ms) => ms >= 500 && ms <= 1_500)).to.equal(true);
    expect(delays.size).to.be.greaterThan(5);
  });

  it('maxTargets 0 from an old NSP means 100', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    pushStreams(d, [nspStream('stream-a1', 'load-balancer-a1', 0)]);
    targets(
      d,
      Array.from({ length: 99 }, (_, i) => target([`172.16.1.${i}/24`], i + 1, 'ENABLED')),
    );
    expect(d.pending('register').target.context['identifier']).to.equal('100');
  });

  it('refresh every nspEntryTimeout: first confirm it is still ENABLED, then register it ENABLED again', () => {
    const d = new Driver();
    const id = openStream(d);
    d.fire(d.timerOf(30_000));
    expect(d.openCalls('register')).to.have.length(0);
    targets(d, [target([IP_A], id, 'ENABLED')]);
    const refresh = d.pending('register');
    expect(refresh.target.status).to.equal('ENABLED');
    expect(refresh.target.context['identifier']).to.equal(String(id));
    d.done(refresh.op);
    expect(status(d)).to.equal('OPEN');
    expect(d.timerOf(30_000)).to.be.a('number');
  });

  it('NSP lost us or holds us DISABLED at refresh: acquire again through the collision check, keeping the identifier', () => {
    for (const found of [[], [target([IP_A], 1, 'DISABLED')]]) {
      const d = new Driver();
      const id = openStream(d);
      d.fire(d.timerOf(30_000));
      targets(
        d,
        found.map((t) => ({ ...t, context: { identifier: String(id) } })),
      );
      expect(d.openCalls('register')).to.have.length(0); // never straight back to ENABLED
      expect(status(d)).to.equal('PENDING');
      targets(d, []);
      const reg = d.pending('register');
      expect(reg.target).to.include({ status: 'DISABLED' });
      expect(reg.target.context['identifier']).to.equal(String(id));
    }
  });

  it('NSP unreachable: refresh fails -> UNAVAILABLE, retried after about 1 s, OPEN again when it answers', () => {
    const d = new Driver();
    const id = openStream(d);
    d.fire(d.timerOf(30_000));
    d.fail(d.pending('getTargets').op);
    expect(status(d)).to.equal('UNAVAILABLE');
    d.fire(d.retryTimer());
    d.fail(d.pending('getTargets').op, 'DEADLINE_EXCEEDED');
    d.fire(d.retryTimer());
    targets(d, [target([IP_A], id, 'ENABLED')]);
    d.done(d.pending('register').op);
    expect(status(d)).to.equal('OPEN');
  });

  it('a failed register may have landed: it is unregistered if the stream is closed meanwhile', () => {
    const d = new Driver();
    connected(d);
    targets(d, []);
    const reg = d.pending('register');
    d.close(tapStream('stream-a1'));
    d.fail(reg.op);
    const un = d.pending('unregister');
    expect(un.target.ips).to.deep.equal([IP_A]);
    expect(un.target.context).to.deep.equal(reg.target.context);
  });

  it('stale, duplicated and unknown results are ignored', () => {
    const d = new Driver();
    connected(d);
    const lookup = d.pending('getTargets');
    targets(d, []);
    const before = JSON.stringify([...d.state.pending.keys()]);
    d.send({ kind: 'nspTargets', op: lookup.op, targets: [] });
    expect(d.last).to.deep.equal([]);
    d.send({ kind: 'done', op: 9999 });
    d.send({ kind: 'failed', op: lookup.op });
    d.send({ kind: 'timer', timer: 9999 });
    expect(d.last).to.deep.equal([]);
    expect(JSON.stringify([...d.state.pending.keys()])).to.equal(before);
  });

  it('a result of the wrong kind counts as a failed call', () => {
    const d = new Driver();
    connected(d);
    d.done(d.pending('getTargets').op);
    expect(status(d)).to.equal('UNAVAILABLE');
    expect(d.retryTimer()).to.be.a('number');
  });

  it('the stream leaves the NSP config: target unregistered, UNDEFINED; back in: acquired again', () => {
    const d = new Driver();
    openStream(d);
    pushStreams(d, [nspStream('other')]);
    expect(status(d)).to.equal('UNDEFINED');
    d.done(d.pending('unregister').op);
    expect(d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.streams.get('stream-a1')!.registered).to.equal(undefined);
    pushStreams(d, [nspStream('stream-a1')]);
    acquire(d);
    expect(status(d)).to.equal('OPEN');
  });

  it('maxTargets shrinks below our identifier: acquire a new one in range', () => {
    const d = new Driver(5);
    d.open(tapStream('stream-a1'));
    connect(d);
    pushStreams(d, [nspStream('stream-a1', 'load-balancer-a1', 100)]);
    let id = acquire(d);
    expect(id, 'precondition: this seed draws an identifier above the new maxTargets').to.be.greaterThan(2);
    d.fire(d.timerOf(30_000)); // the refresh is in flight when the config changes
    pushStreams(d, [nspStream('stream-a1', 'load-balancer-a1', 2)]);
    targets(d, [target([IP_A], id, 'ENABLED')]);
    targets(d, []);
    const reg = d.pending('register');
    id = Number(reg.target.context['identifier']);
    expect(id).to.be.within(1, 2);
  });
});

describe('core: target protocol, the finer points', () => {
  const streamState = (d: Driver) => d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!.streams.get('stream-a1')!;

  it('lookup asks for exactly the stream, by its names only', () => {
    const d = new Driver();
    connected(d);
    expect(d.pending('getTargets').filter).to.deep.equal({
      ips: [],
      context: {},
      status: 'ANY',
      type: 'DEFAULT',
      stream: {
        name: 'stream-a1',
        maxTargets: 0,
        conduit: { name: 'load-balancer-a1', destinationPortNats: [], trench: { name: 'trench-a' } },
      },
    });
  });

  it('targets of another stream, conduit or trench in an answer hold no identifier of this stream', () => {
    const noTrench = { ...nspStream('stream-a1'), conduit: { name: 'load-balancer-a1', destinationPortNats: [] } };
    for (const s of [
      nspStream('stream-a2'),
      nspStream('stream-a1', 'load-balancer-b1'),
      nspStream('stream-a1', 'load-balancer-a1', 1, 'trench-b'),
      noTrench,
      { ...nspStream('stream-a1'), conduit: undefined },
      undefined,
    ]) {
      const d = new Driver();
      connected(d, 1);
      targets(d, [{ ...target([IP_B], 1, 'ENABLED'), stream: s }]);
      expect(d.pending('register').target.context, JSON.stringify(s)).to.deep.equal({ identifier: '1' });
    }
  });

  it('an unregister names the target as it was registered: ENABLED once enabled, DISABLED before', () => {
    let d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    expect(d.pending('unregister').target.status).to.equal('ENABLED');
    d = new Driver();
    connected(d);
    targets(d, []);
    d.done(d.pending('register').op);
    d.close(tapStream('stream-a1'));
    d.send({ kind: 'nspTargets', op: d.pending('getTargets').op, targets: [] });
    expect(d.pending('unregister').target.status).to.equal('DISABLED');
  });

  it('Close during a back-off withdraws at once instead of waiting it out', () => {
    const d = new Driver();
    openStream(d);
    d.fire(d.timerOf(30_000));
    d.fail(d.pending('getTargets').op);
    expect(status(d)).to.equal('UNAVAILABLE');
    d.close(tapStream('stream-a1'));
    expect(d.pending('unregister').target.ips).to.deep.equal([IP_A]);
    expect([...d.state.timers.values()].filter((t) => t.kind === 'stream')).to.deep.equal([]);
  });

  it('a failed unregister is retried after a back-off, not at once', () => {
    const d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    d.fail(d.pending('unregister').op);
    expect(d.openCalls('unregister')).to.have.length(0);
    d.fire(d.retryTimer());
    expect(d.pending('unregister').target.ips).to.deep.equal([IP_A]);
  });

  it('maxTargets shrinks below the identifier being verified: it is never enabled, a new one is drawn in range', () => {
    const d = new Driver(5);
    connected(d, 100);
    targets(d, []);
    const reg = d.pending('register');
    const id = Number(reg.target.context['identifier']);
    expect(id, 'precondition: this seed draws above the new maxTargets').to.be.greaterThan(2);
    d.done(reg.op);
    pushStreams(d, [nspStream('stream-a1', 'load-balancer-a1', 2)]);
    targets(d, []);
    expect(d.openCalls('register')).to.have.length(0);
    targets(d, []);
    const again = d.pending('register');
    expect(again.target.status).to.equal('DISABLED');
    expect(Number(again.target.context['identifier'])).to.be.within(1, 2);
  });

  it('at refresh, our IPs ENABLED under another identifier are not ours to keep: acquire again', () => {
    const d = new Driver();
    const id = openStream(d);
    d.fire(d.timerOf(30_000));
    targets(d, [target([IP_A], id + 1, 'ENABLED')]);
    expect(d.openCalls('register')).to.have.length(0);
    expect(streamState(d).registered?.status).to.equal('DISABLED');
  });

  it('new IPs during a back-off: the old target waits for the back-off, then goes, and one is acquired under the new IPs', () => {
    const d = new Driver();
    const id = openStream(d);
    d.fire(d.timerOf(30_000));
    d.fail(d.pending('getTargets').op);
    const conduit = d.state.trenches.get('trench-a')!.conduits.get('load-balancer-a1')!;
    d.send({
      kind: 'nsmEvent',
      op: d.pending('monitorConnections').op,
      event: { type: 'UPDATE', connections: { [conduit.connection!.id]: answered({ connection: conduit.connection }, [IP_B]) } },
    });
    expect(d.openCalls('unregister')).to.have.length(0);
    d.fire(d.retryTimer());
    d.done(d.pending('unregister').op);
    targets(d, []);
    const reg = d.pending('register');
    expect(reg.target.ips).to.deep.equal([IP_B]);
    expect(reg.target.context['identifier']).to.equal(String(id));
  });
});
