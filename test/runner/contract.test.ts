import { expect } from 'chai';
import { defaultConfig, limits } from '../../src/core/config.js';
import type { Connection, NetworkServiceRequest, NspTarget } from '../../src/core/wire.js';
import { Runner, type Logger } from '../../src/runner/runner.js';
import { ScriptedTransport, type ScriptedCall } from '../../src/runner/scripted.js';
import type { PathToken } from '../../src/runner/transport.js';
import { answered, flow, nspStream, tapStream } from '../core/driver.js';

/** The clock starts far from 0, so that a time measured from the wrong origin shows. */
const START = 1_000_000;

interface Rig {
  readonly runner: Runner;
  readonly transport: ScriptedTransport;
  /** Warnings logged, as "message code". */
  readonly warnings: string[];
  /** Every call the runner made so far, in order, with the time it was made. */
  readonly made: { call: ScriptedCall; at: number }[];
  /** Records the calls made since the last look. */
  look(): void;
  /** Answers everything well until nothing is left but open watches. */
  settle(token?: PathToken): void;
  of(rpc: string): { call: Call; at: number }[];
}

/** A call of the world, not a token. */
type Call = Exclude<ScriptedCall, { kind: 'token' }>;

function rig(gate = 256): Rig {
  const transport = new ScriptedTransport(START);
  const warnings: string[] = [];
  const log: Logger = {
    isLevelEnabled: () => false,
    debug: () => {},
    info: () => {},
    warn: (fields, message) => void warnings.push(`${message} ${(fields as { code?: string }).code ?? ''}`.trim()),
    error: () => {},
  };
  const runner = new Runner(transport, {
    seed: 1,
    config: { name: 'pod-a', node: 'node-1', namespace: 'red' },
    nspCallsInFlight: gate,
    newSegmentId: () => 'segment',
    log,
  });
  const made: { call: ScriptedCall; at: number }[] = [];
  const seen = new Set<ScriptedCall>();
  const pushed = new Set<ScriptedCall>();
  const registry = new Map<string, NspTarget>();
  const look = (): void => {
    for (const call of transport.calls) if (!seen.has(call) && seen.add(call)) made.push({ call, at: transport.now() });
  };
  const settle = (token?: PathToken): void => {
    look();
    for (let call = next(); call; call = next()) {
      if (call.kind === 'token') call.answer({ ok: true, value: token });
      else if (call.kind === 'unary') {
        const request = call.request as NspTarget & NetworkServiceRequest;
        if (call.rpc === 'register') registry.set(request.ips.join(), request);
        if (call.rpc === 'unregister') registry.delete(request.ips.join());
        call.answer({ ok: true, value: call.rpc === 'nsmRequest' ? answered(request, ['172.16.0.2/24']) : {} });
      } else {
        pushed.add(call);
        if (call.rpc === 'getTargets') call.push([...registry.values()]);
        if (call.rpc === 'watchStreams') call.push([nspStream('stream-a1'), nspStream('stream-a2')]);
        if (call.rpc === 'watchFlows') call.push([]);
        if (call.rpc === 'monitorConnections') call.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
      }
      look();
    }
  };
  const next = (): ScriptedCall | undefined => [...transport.calls].find((c) => !pushed.has(c));
  const of = (rpc: string): { call: Call; at: number }[] =>
    made.flatMap((m) => (m.call.kind !== 'token' && m.call.rpc === rpc ? [{ call: m.call, at: m.at }] : []));
  return { runner, transport, warnings, made, look, settle, of };
}

const live = (r: Rig, rpc: string): Call[] => [...r.transport.calls].flatMap((c) => (c.kind !== 'token' && c.rpc === rpc ? [c] : []));

/** The monitor's first event, then every token: what comes before the NSM Request of a connect. */
function toConnect(r: Rig): void {
  for (const c of live(r, 'monitorConnections')) if (c.kind === 'stream') c.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
  for (const c of [...r.transport.calls]) if (c.kind === 'token') c.answer({ ok: true, value: undefined });
}

describe('runner: what it tells the transport, and when', () => {
  it('unary calls and get-targets carry a deadline counted from when the core asked; watches carry none', () => {
    const r = rig();
    r.runner.open(tapStream('stream-a1'), () => {});
    r.settle();
    expect(r.of('nsmRequest')[0]!.call.options.deadline).to.equal(START + defaultConfig.timeoutMs);
    for (const rpc of ['getTargets', 'register']) {
      for (const { call, at } of r.of(rpc)) expect(call.options.deadline, rpc).to.equal(at + limits.nspCallMs);
    }
    for (const rpc of ['watchStreams', 'watchFlows', 'monitorConnections'])
      expect(r.of(rpc)[0]!.call.options.deadline, rpc).to.equal(undefined);
  });

  it('a timer fires when it is due, not before: a failed connect is asked again exactly connectRetryMs later', () => {
    const r = rig();
    r.runner.open(tapStream('stream-a1'), () => {});
    toConnect(r);
    const request = live(r, 'nsmRequest')[0]!;
    if (request.kind === 'unary') request.answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'NSM is down' } });
    expect(r.warnings).to.include('nsmRequest failed UNAVAILABLE');
    expect(r.transport.wakeUpAt).to.equal(START + limits.connectRetryMs);
    r.transport.advance();
    expect(
      [...r.transport.calls].some((c) => c.kind === 'token'),
      'the connect is asked again, token first',
    ).to.equal(true);
  });

  it('NSM calls carry our signed segment and the token in the headers', () => {
    const r = rig();
    const expires = new Date(START + 9_000);
    r.runner.open(tapStream('stream-a1'), () => {});
    r.settle({ token: 'jwt', expires });
    const { call } = r.of('nsmRequest')[0]!;
    if (call.kind !== 'unary') throw new Error('not unary');
    expect(call.options.headers).to.deep.equal({ 'nsm-client-token': 'jwt', 'nsm-client-token-expires': expires.toISOString() });
    const segment = (call.request as NetworkServiceRequest).connection!.path!.pathSegments[0]!;
    expect(segment).to.include({ name: 'pod-a', token: 'jwt', expires: expires.toISOString() });
    // The scripted NSM answers without expiries: nothing to refresh.
    expect(r.transport.wakeUpAt, 'no refresh without expiries').to.not.equal(START + 3_000);
  });

  it('an answer whose tokens expire arms a refresh at a third of their life', () => {
    const r = rig();
    r.runner.open(tapStream('stream-a1'), () => {});
    toConnect(r);
    const request = live(r, 'nsmRequest')[0]!;
    if (request.kind !== 'unary') throw new Error('not unary');
    const answer: Connection = answered(request.request as NetworkServiceRequest, ['172.16.0.2/24']);
    answer.path!.pathSegments[0]!.expires = new Date(START + 9_000).toISOString();
    request.answer({ ok: true, value: answer });
    expect(r.transport.wakeUpAt).to.equal(START + 3_000);
  });

  it('a token that cannot be signed fails the call UNAUTHENTICATED without sending it, and the core tries again', () => {
    const r = rig();
    r.runner.open(tapStream('stream-a1'), () => {});
    for (const c of live(r, 'monitorConnections')) if (c.kind === 'stream') c.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
    const token = [...r.transport.calls].find((c) => c.kind === 'token')!;
    if (token.kind === 'token') token.answer({ ok: false, error: { code: 'INTERNAL', message: 'no key' } });
    expect(live(r, 'nsmRequest'), 'nothing sent').to.have.length(0);
    expect(r.warnings).to.include('cannot prepare the NSM call UNAUTHENTICATED');
    expect(r.runner.books().calls.filter((op) => r.runner.state.pending.get(op)?.kind === 'nsm')).to.have.length(0);
    r.transport.advance();
    expect([...r.transport.calls].some((c) => c.kind === 'token')).to.equal(true);
  });

  it('get-targets takes the first message and ends the watch, giving its place at the gate to the next; one that ends first is a failure', () => {
    const r = rig(1);
    r.runner.open(tapStream('stream-a1'), () => {});
    r.runner.open(tapStream('stream-a2'), () => {});
    toConnect(r);
    for (const c of live(r, 'nsmRequest'))
      if (c.kind === 'unary') c.answer({ ok: true, value: answered(c.request as NetworkServiceRequest, ['172.16.0.2/24']) });
    for (const c of live(r, 'watchStreams')) if (c.kind === 'stream') c.push([nspStream('stream-a1'), nspStream('stream-a2')]);
    const [first] = live(r, 'getTargets');
    expect(live(r, 'getTargets')).to.have.length(1);
    if (first?.kind !== 'stream') throw new Error('no get-targets');
    first.push([]);
    expect(live(r, 'getTargets').includes(first), 'the first watch is cancelled').to.equal(false);
    const [second] = live(r, 'getTargets');
    expect(second?.scope.stream, 'the next one started').to.not.equal(first.scope.stream);
    if (second?.kind !== 'stream') throw new Error('no second get-targets');
    second.end();
    expect(r.warnings).to.deep.equal(['getTargets ended UNAVAILABLE']);
    expect(r.runner.books().calls, 'the core no longer waits for it').to.not.include(second.op);
  });

  it('a watch that ends is opened again after its back-off; flows reach NSM as a VIP update; a closed stream is unregistered', () => {
    const r = rig();
    r.runner.open(tapStream('stream-a1'), () => {});
    r.settle();
    const flows = live(r, 'watchFlows')[0]!;
    if (flows.kind !== 'stream') throw new Error('no flows');
    flows.push([flow(['20.0.0.1/32'])]);
    r.settle();
    const update = r.of('nsmRequest').at(-1)!.call;
    expect(
      (update.kind === 'unary' && (update.request as NetworkServiceRequest).connection?.context?.ipContext?.srcIpAddrs) || [],
    ).to.include('20.0.0.1/32');
    const streams = live(r, 'watchStreams')[0]!;
    if (streams.kind !== 'stream') throw new Error('no stream watch');
    const ended = r.transport.now();
    streams.end({ code: 'UNAVAILABLE', message: 'the NSP restarted' });
    expect(r.warnings).to.include('watchStreams ended UNAVAILABLE');
    while (live(r, 'watchStreams').length === 0) expect(r.transport.advance()).to.equal(true);
    expect(r.transport.now()).to.equal(ended + limits.watchStreamsRetryMs);
    r.settle();
    r.runner.close(tapStream('stream-a1'), () => {});
    r.settle();
    expect(r.of('unregister')).to.have.length(1);
  });
});
