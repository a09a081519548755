import { expect } from 'chai';
import type { NetworkServiceRequest, NspTarget } from '../../src/core/wire.js';
import { Runner } from '../../src/runner/runner.js';
import { ScriptedTransport, type ScriptedCall } from '../../src/runner/scripted.js';
import { NspModel } from '../../src/sim/world/nsp.js';
import { answered, nspStream, tapStream } from '../core/driver.js';

/** How a run against a slow NSP went. */
export interface OverloadRun {
  /** ENABLED targets in the NSP, sampled every 10 s of virtual time. */
  readonly enabled: number[];
  /** ENABLED targets that the NSP expired: a keep-alive came too late. */
  readonly expiredEnabled: number;
  /** Calls the NSP served whose caller had given up on them (wasted work). */
  readonly wasted: number;
  readonly served: number;
}

/**
 * One TAPA with `streams` streams on one conduit against an NSP that serves at most
 * `perSecond` target-protocol calls per second of virtual time, in arrival order, each at
 * the same cost whether its caller still waits for it or not (as a server that has read
 * a request works on it): the setting in which too many calls in flight collapse goodput.
 * NSM answers at once. Entirely on virtual time: nothing sleeps.
 */
export function overloadRun(options: {
  streams: number;
  perSecond: number;
  seconds: number;
  refreshMs: number;
  nspExpiryMs: number;
}): OverloadRun {
  const transport = new ScriptedTransport();
  const runner = new Runner(transport, {
    seed: 1,
    config: { name: 'pod-a', node: 'node-1', namespace: 'red', nspEntryTimeoutMs: options.refreshMs },
    nspCallsInFlight: 256,
    newSegmentId: () => 'segment',
    assertions: 'amortized',
    broken: (violations) => {
      throw new Error(violations.join('; '));
    },
  });
  const nsp = new NspModel({ entryTimeoutMs: options.nspExpiryMs });
  const names = Array.from({ length: options.streams }, (_, i) => `stream-${i}`);
  for (const name of names) runner.open(tapStream(name), () => {});

  const queue: ScriptedCall[] = [];
  const seen = new WeakSet<ScriptedCall>();
  const expiries: { at: number; key: string; generation: number }[] = [];
  const serveEveryMs = 1_000 / options.perSecond;
  let nextServe = 0;
  let expiredEnabled = 0;
  let wasted = 0;
  let served = 0;
  const enabled: number[] = [];
  const isNsp = (c: ScriptedCall): boolean =>
    c.kind !== 'token' && (c.rpc === 'register' || c.rpc === 'unregister' || c.rpc === 'getTargets');

  const serve = (call: ScriptedCall): void => {
    served++;
    if (!transport.calls.has(call)) return void wasted++;
    if (call.kind === 'stream') return call.push(nsp.targets(call.request as NspTarget));
    if (call.kind !== 'unary') return;
    if (call.rpc === 'register') {
      const arming = nsp.register(call.request as NspTarget, transport.now());
      expiries.push({ at: transport.now() + options.nspExpiryMs, ...arming });
    } else nsp.unregister(call.request as NspTarget);
    call.answer({ ok: true, value: {} });
  };

  /** NSM, tokens and the config watches answer at once; NSP calls join the server's queue. */
  const answerTheRest = (): void => {
    for (let again = true; again;) {
      again = false;
      for (const call of [...transport.calls]) {
        if (seen.has(call)) continue;
        seen.add(call);
        again = true;
        if (isNsp(call)) queue.push(call);
        else if (call.kind === 'token') call.answer({ ok: true, value: undefined });
        else if (call.kind === 'unary' && call.rpc === 'nsmRequest')
          call.answer({ ok: true, value: answered(call.request as NetworkServiceRequest, ['172.16.0.2/24']) });
        else if (call.kind === 'stream' && call.rpc === 'watchStreams') call.push(names.map((n) => nspStream(n)));
        else if (call.kind === 'stream' && call.rpc === 'monitorConnections')
          call.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
      }
    }
  };

  const end = options.seconds * 1_000;
  for (let sample = 10_000; transport.now() < end;) {
    answerTheRest();
    const expiry = expiries.reduce((min, e) => Math.min(min, e.at), Infinity);
    const serveAt = queue.length > 0 ? Math.max(nextServe, transport.now()) : Infinity;
    const next = Math.min(transport.wakeUpAt ?? Infinity, serveAt, expiry, sample);
    transport.advanceTo(next);
    if (next === sample) {
      enabled.push(nsp.peekTargets().filter((t) => t.status === 'ENABLED').length);
      sample += 10_000;
    }
    for (let i = expiries.length - 1; i >= 0; i--) {
      const e = expiries[i]!;
      if (e.at > transport.now()) continue;
      expiries.splice(i, 1);
      const entry = nsp.entries().find((x) => x.key === e.key && x.generation === e.generation);
      if (entry?.target.status === 'ENABLED') expiredEnabled++;
      nsp.expire(e.key, e.generation);
    }
    if (serveAt <= transport.now()) {
      serve(queue.shift()!);
      nextServe = transport.now() + serveEveryMs;
    }
  }
  return { enabled, expiredEnabled, wasted, served };
}

describe('runner: an NSP that cannot keep up (issue 16, item 7)', () => {
  // A refresh every 10 s of 400 targets needs 80 calls/s; the NSP serves 20. Before the
  // gate adapted and kept priorities, every call waited behind 256 others at the NSP, past
  // its deadline: 4,501 of 4,801 calls served were wasted and no target ever got ENABLED.
  const setting = { streams: 400, perSecond: 20, seconds: 240, refreshMs: 10_000, nspExpiryMs: 60_000 };
  const run = overloadRun(setting);

  it('ENABLED targets stay ENABLED: none expires at the NSP', () => {
    expect(run.expiredEnabled).to.equal(0);
  });

  it('the ENABLED count only grows, and keeps growing', () => {
    for (let i = 1; i < run.enabled.length; i++) expect(run.enabled[i]!, `sample ${i}`).to.be.at.least(run.enabled[i - 1]!);
    expect(run.enabled.at(-1)!, 'after 240 s, against after 60 s').to.be.above(run.enabled[5]! + 100);
  });

  it('goodput does not collapse: most calls the NSP serves are still awaited', () => {
    expect(run.wasted / run.served).to.be.below(0.2);
  });

  it('and it lasts: after 480 s none has expired and the count never fell', () => {
    // When deadlines that passed in the gate's queue cut the limit, the count peaked at
    // 347 after 280 s and fell to 106 after 360 s: 342 ENABLED targets expired.
    const longer = overloadRun({ ...setting, seconds: 480 });
    expect(longer.expiredEnabled).to.equal(0);
    for (let i = 1; i < longer.enabled.length; i++) expect(longer.enabled[i]!, `sample ${i}`).to.be.at.least(longer.enabled[i - 1]!);
  });
});
