import { expect } from 'chai';
import { invariants } from '../../src/core/invariants.js';
import { conduitAt, streamAt } from '../../src/core/trench.js';
import type { ConduitState, StreamState, TapaState, TrenchState } from '../../src/core/state.js';
import { Driver, IP_B, connect, openStream, tapStream } from './driver.js';

/**
 * The simulator trusts `invariants` to notice a broken state after every step; these
 * tests break healthy states one way at a time and demand that the breakage is named.
 */
interface Parts {
  readonly state: TapaState;
  readonly trench: TrenchState;
  readonly conduit: ConduitState;
  readonly stream: StreamState;
}

function parts(d: Driver): Parts {
  const trench = d.state.trenches.get('trench-a')!;
  const conduit = trench.conduits.get('load-balancer-a1')!;
  const stream = conduit.streams.get('stream-a1')!;
  return { state: d.state, trench, conduit, stream };
}

/** Healthy states, each a different stage of a stream's life. */
const stages = {
  /** Just opened: the monitor has not spoken, every watch is open, the recovery timer runs. */
  opening(): Parts {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    return parts(d);
  },
  /** Connecting: the NSM request is in flight. */
  connecting(): Parts {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    const monitor = d.pending('monitorConnections');
    d.send({ kind: 'nsmEvent', op: monitor.op, event: { type: 'INITIAL_STATE_TRANSFER', connections: {} } });
    return parts(d);
  },
  /** OPEN, with an ENABLED target and its refresh timer. */
  open(): Parts {
    const d = new Driver();
    openStream(d);
    return parts(d);
  },
  /** Closed while its target is being unregistered. */
  closing(): Parts {
    const d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    return parts(d);
  },
  /** Shut down completely. */
  done(): TapaState {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    connect(d);
    d.send({ kind: 'shutdown' });
    d.done(d.pending('nsmClose').op);
    return d.state;
  },
};

function flags(state: TapaState, problem: RegExp): void {
  const bad = invariants(state);
  expect(
    bad.some((m) => problem.test(m)),
    `${bad.join('; ') || 'nothing'} should name ${problem}`,
  ).to.equal(true);
}

const A1 = 'trench-a/load-balancer-a1';

describe('core: invariants name what is broken', () => {
  it('healthy states at every stage pass', () => {
    for (const stage of [stages.opening, stages.connecting, stages.open, stages.closing])
      expect(invariants(stage().state)).to.deep.equal([]);
    expect(invariants(stages.done())).to.deep.equal([]);
  });

  it('filing: a trench, conduit or stream under a name that is not its own', () => {
    let p = stages.open();
    p.state.trenches.set('trench-x', p.trench);
    flags(p.state, /^trench trench-x is filed under another name$/);
    for (const change of [{ name: 'x' }, { trench: 'x' }]) {
      p = stages.open();
      p.trench.conduits.set(p.conduit.name, { ...p.conduit, ...change });
      flags(p.state, new RegExp(`^conduit ${A1} is filed under another name$`));
    }
    for (const change of [{ name: 'x' }, { conduit: 'x' }, { trench: 'x' }]) {
      p = stages.open();
      p.conduit.streams.set(p.stream.name, { ...p.stream, ...change });
      flags(p.state, new RegExp(`^stream ${A1}/stream-a1 is filed under another name$`));
    }
  });

  it('a trench without conduits that was never released', () => {
    const p = stages.open();
    p.state.trenches.set('trench-x', { name: 'trench-x', conduits: new Map() });
    flags(p.state, /^trench trench-x has no conduits but was not released$/);
  });

  it('counts: wanted streams of a conduit, open trenches, the Watch registry', () => {
    let p = stages.open();
    p.conduit.wanted++;
    flags(p.state, new RegExp(`^conduit ${A1} counts 2 wanted streams, has 1$`));
    p = stages.open();
    const stream = { ...p.stream, trench: 'trench-b' };
    const conduit = { ...p.conduit, trench: 'trench-b', streams: new Map([[stream.name, stream]]) };
    p.state.trenches.set('trench-b', { name: 'trench-b', conduits: new Map([[conduit.name, conduit]]) });
    flags(p.state, /^2 trenches have open streams; a pod belongs to one trench at a time$/);
    p = stages.open();
    p.state.registry.set('extra', streamAt(p.stream));
    flags(p.state, /^Watch registry has 2 streams, 1 are open$/);
  });

  it('calls: an op nobody owns, an owner whose op is not current, an op of a conduit that is gone', () => {
    let p = stages.open();
    p.state.pending.set(999, { kind: 'target', ...streamAt(p.stream) });
    flags(p.state, /^op 999 waits for a stream call that is not current$/);
    p = stages.connecting();
    p.state.pending.set(999, { kind: 'nsm', ...conduitAt(p.conduit) });
    flags(p.state, /^op 999 waits for an NSM call that is not current$/);
    p = stages.open();
    p.state.pending.set(999, { kind: 'watch', ...conduitAt(p.conduit), watch: 'flows' });
    flags(p.state, /^op 999 is a flows watch that is not current$/);

    // The same op, owned by a handle to where nothing is filed.
    p = stages.closing();
    const op = p.stream.op!.id;
    p.state.pending.set(op, { kind: 'target', ...streamAt(p.stream), trench: 'nowhere' });
    flags(p.state, new RegExp(`^op ${op} waits for a stream call that is not current$`));
    p = stages.connecting();
    p.state.pending.set(p.conduit.nsmOp!.id, { kind: 'nsm', ...conduitAt(p.conduit), trench: 'nowhere' });
    flags(p.state, new RegExp(`^op ${p.conduit.nsmOp!.id} waits for an NSM call that is not current$`));
    p = stages.open();
    const watch = p.conduit.watches.streams.op!;
    p.state.pending.set(watch, { kind: 'watch', ...conduitAt(p.conduit), trench: 'nowhere', watch: 'streams' });
    flags(p.state, new RegExp(`^op ${watch} is a streams watch that is not current$`));

    p = stages.closing();
    p.state.pending.delete(p.stream.op!.id);
    flags(p.state, /^stream \["trench-a","load-balancer-a1","stream-a1"\] has a call nobody waits for$/);
    p = stages.connecting();
    p.state.pending.delete(p.conduit.nsmOp!.id);
    flags(p.state, new RegExp(`^conduit ${A1} has an NSM call nobody waits for$`));
  });

  it('timers: one nobody owns, or owned by a conduit that is gone', () => {
    let p = stages.open();
    p.state.timers.set(999, { kind: 'stream', ...streamAt(p.stream) });
    flags(p.state, /^timer 999 belongs to no stream$/);
    for (const [kind, problem] of [
      ['nsm', 'NSM back-off'],
      ['recovery', 'recovery'],
    ] as const) {
      p = stages.open();
      p.state.timers.set(999, { kind, ...conduitAt(p.conduit) });
      flags(p.state, new RegExp(`^timer 999 belongs to no ${problem}$`));
    }
    p = stages.open();
    p.state.timers.set(999, { kind: 'watch', ...conduitAt(p.conduit), watch: 'monitor' });
    flags(p.state, /^timer 999 belongs to no watch$/);

    p = stages.opening();
    const recovery = p.conduit.recoveryTimer!;
    p.state.timers.set(recovery, { kind: 'recovery', ...conduitAt(p.conduit), trench: 'nowhere' });
    flags(p.state, new RegExp(`^timer ${recovery} belongs to no recovery$`));
    p = stages.open();
    p.conduit.nsmTimer = 999;
    p.state.timers.set(999, { kind: 'nsm', ...conduitAt(p.conduit), trench: 'nowhere' });
    flags(p.state, /^timer 999 belongs to no NSM back-off$/);
    p = stages.open();
    p.conduit.watches.flows = { timer: 999 };
    p.state.timers.set(999, { kind: 'watch', ...conduitAt(p.conduit), trench: 'nowhere', watch: 'flows' });
    flags(p.state, /^timer 999 belongs to no watch$/);
  });

  it('shut down with anything left: a trench, a call or a timer', () => {
    let state = stages.done();
    state.trenches.set('trench-a', stages.open().trench);
    flags(state, /^shut down with work left$/);
    state = stages.done();
    state.pending.set(999, { kind: 'target', ...streamAt(stages.open().stream) });
    flags(state, /^shut down with work left$/);
    state = stages.done();
    state.timers.set(999, { kind: 'stream', ...streamAt(stages.open().stream) });
    flags(state, /^shut down with work left$/);
  });

  it('conduit: IPs without a connection, NSM call while backing off, watches, recovery, idle', () => {
    let p = stages.open();
    p.conduit.connection = undefined;
    flags(p.state, new RegExp(`^conduit ${A1} has local IPs without a connection$`));
    p = stages.connecting();
    p.conduit.nsmTimer = p.conduit.watches.streams.op!; // any live id
    flags(p.state, new RegExp(`^conduit ${A1} calls NSM while backing off$`));
    p = stages.open();
    p.conduit.watches.streams.timer = 999;
    flags(p.state, new RegExp(`^conduit ${A1} streams watch is open and scheduled to re-open$`));
    p = stages.open();
    p.conduit.watches.monitor = {};
    flags(p.state, new RegExp(`^conduit ${A1} monitor watch is neither open nor scheduled$`));
    p = stages.open();
    p.conduit.watches.flows = { timer: 999 };
    flags(p.state, new RegExp(`^conduit ${A1} flows watch waits for a timer that is not set$`));
    p = stages.open();
    p.conduit.recovery = 'waiting';
    flags(p.state, new RegExp(`^conduit ${A1} recovery and its timer disagree$`));
    p = stages.open();
    p.conduit.nsmTimer = 999;
    flags(p.state, new RegExp(`^conduit ${A1} waits for an NSM back-off timer that is not set$`));
    p = stages.opening();
    p.conduit.streams.clear();
    p.conduit.wanted = 0;
    p.state.registry.clear();
    flags(p.state, new RegExp(`^conduit ${A1} has nothing to do but was not dropped$`));
  });

  it('stream: registry, published status, timers, identifiers, stale IPs, idle', () => {
    const at = `stream ${A1}/stream-a1`;
    let p = stages.open();
    p.state.registry.clear();
    flags(p.state, new RegExp(`^${at} is open but not in the Watch registry$`));
    p = stages.closing();
    p.state.registry.set(p.stream.key, streamAt(p.stream));
    flags(p.state, new RegExp(`^${at} is closed but in the Watch registry$`));
    p = stages.open();
    p.stream.status = 'PENDING';
    flags(p.state, new RegExp(`^${at} published PENDING, is OPEN$`));
    p = stages.open();
    p.stream.timer = { id: 999, purpose: 'retry' };
    flags(p.state, new RegExp(`^${at} waits for a timer that is not set$`));
    p = stages.open();
    p.stream.identifier = -1;
    flags(p.state, new RegExp(`^${at} has identifier -1$`));
    p = stages.open();
    p.stream.registered = { ...p.stream.registered!, identifier: 0 };
    flags(p.state, new RegExp(`^${at} registered identifier 0$`));
    p = stages.open();
    p.stream.registered!.status = 'DISABLED';
    flags(p.state, new RegExp(`^${at} refreshes a target that is not ENABLED$`));
    for (const withTimer of [true, false]) {
      p = stages.open();
      if (!withTimer) {
        p.state.timers.delete(p.stream.timer!.id);
        p.stream.timer = undefined;
      }
      p.conduit.localIps = [IP_B];
      flags(p.state, new RegExp(`^${at} keeps an ENABLED target under stale IPs$`));
    }
    p = stages.closing();
    p.state.pending.delete(p.stream.op!.id);
    p.stream.op = undefined;
    p.stream.registered = undefined;
    flags(p.state, new RegExp(`^${at} is closed and idle but was not dropped$`));
  });

  it('owners that do not hold what they are filed under: another op, no op, no timer, a conduit of no trench', () => {
    let p = stages.closing();
    p.state.pending.set(999, { kind: 'target', ...streamAt(p.stream) });
    flags(p.state, /^op 999 waits for a stream call that is not current$/);
    p = stages.open();
    p.state.pending.set(999, { kind: 'nsm', ...conduitAt(p.conduit) });
    flags(p.state, /^op 999 waits for an NSM call that is not current$/);
    p = stages.closing();
    p.state.timers.set(999, { kind: 'stream', ...streamAt(p.stream) });
    flags(p.state, /^timer 999 belongs to no stream$/);
    p = stages.connecting();
    p.state.pending.set(p.conduit.nsmOp!.id, { kind: 'nsm', ...conduitAt(p.conduit), trench: 'nowhere' });
    flags(p.state, new RegExp(`^op ${p.conduit.nsmOp!.id} waits for an NSM call that is not current$`));
    p = stages.open();
    p.stream.registered = undefined;
    flags(p.state, new RegExp(`^stream ${A1}/stream-a1 refreshes a target that is not ENABLED$`));
  });

  it('token refresh: a timer nobody owns, a timer or a debt without a connection', () => {
    let p = stages.open();
    p.state.timers.set(999, { kind: 'refresh', ...conduitAt(p.conduit) });
    flags(p.state, /^timer 999 belongs to no token refresh$/);
    p = stages.open();
    p.conduit.refreshTimer = 999;
    p.state.timers.set(999, { kind: 'refresh', ...conduitAt(p.conduit), trench: 'nowhere' });
    flags(p.state, /^timer 999 belongs to no token refresh$/);
    p = stages.open();
    p.conduit.refreshTimer = 999;
    flags(p.state, new RegExp(`^conduit ${A1} refreshes tokens of no connection$`));
    p = stages.connecting();
    p.conduit.refreshTimer = 999;
    p.state.timers.set(999, { kind: 'refresh', ...conduitAt(p.conduit) });
    flags(p.state, new RegExp(`^conduit ${A1} refreshes tokens of no connection$`));
    p = stages.connecting();
    p.conduit.refreshDue = true;
    flags(p.state, new RegExp(`^conduit ${A1} owes a refresh of no connection$`));
  });
});
