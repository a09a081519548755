import { expect } from 'chai';
import { limits } from '../../src/core/config.js';
import type { TapaEvent } from '../../src/core/events.js';
import type { TrenchState } from '../../src/core/state.js';
import type { Connection, NetworkServiceRequest } from '../../src/core/wire.js';
import { Runner, type Assertions } from '../../src/runner/runner.js';
import { ScriptedTransport, type ScriptedCall } from '../../src/runner/scripted.js';
import { answered, nspStream, tapStream } from '../core/driver.js';

function runner(
  assertions: Assertions = 'off',
  gate = 256,
  broken?: (violations: readonly string[], event: TapaEvent) => void,
): { runner: Runner; transport: ScriptedTransport } {
  const transport = new ScriptedTransport();
  const r = new Runner(transport, {
    seed: 1,
    config: { name: 'pod-a', node: 'node-1', namespace: 'red' },
    nspCallsInFlight: gate,
    newSegmentId: () => 'segment',
    assertions,
    ...(broken ? { broken } : {}),
  });
  return { runner: r, transport };
}

/** Answers tokens, NSM Requests and the stream watch until only target-protocol calls and watches are left. */
function connect(transport: ScriptedTransport, streams: string[]): void {
  for (let again = true; again;) {
    again = false;
    for (const call of [...transport.calls]) {
      if (call.kind === 'token') call.answer({ ok: true, value: undefined });
      else if (call.kind === 'unary' && call.rpc === 'nsmRequest')
        call.answer({ ok: true, value: answered(call.request as NetworkServiceRequest, ['172.16.0.2/24']) });
      else if (call.kind === 'stream' && call.rpc === 'watchStreams' && !pushed.has(call)) {
        pushed.add(call);
        call.push(streams.map((s) => nspStream(s, 'load-balancer-a1', 10)));
      } else if (call.kind === 'stream' && call.rpc === 'monitorConnections' && !pushed.has(call)) {
        pushed.add(call);
        call.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
      } else continue;
      again = true;
    }
  }
}
const pushed = new WeakSet<ScriptedCall>();

const targetCalls = (transport: ScriptedTransport): ScriptedCall[] =>
  [...transport.calls].filter((c) => c.kind !== 'token' && (c.rpc === 'getTargets' || c.rpc === 'register'));

describe('runner: the runner around the core', () => {
  it('a call waiting at the gate fails DEADLINE_EXCEEDED when its deadline, counted from when the core asked, passes, without ever starting', () => {
    const { runner: r, transport } = runner('step', 1);
    r.open(tapStream('stream-a1'), () => {});
    r.open(tapStream('stream-a2'), () => {});
    const asked = transport.now();
    connect(transport, ['stream-a1', 'stream-a2']);
    const started = targetCalls(transport);
    expect(started, 'one call through the gate').to.have.length(1);
    const queued = r.books().calls.filter((op) => op !== started[0]!.op && r.state.pending.get(op)?.kind === 'target');
    expect(queued, 'one call waiting at the gate').to.have.length(1);
    const seen = new Set<number>();
    while (r.books().calls.includes(queued[0]!)) {
      for (const c of transport.calls) seen.add(c.op);
      expect(transport.advance(), 'a wake-up is pending while a call waits').to.equal(true);
    }
    expect(transport.now()).to.equal(asked + limits.nspCallMs);
    expect(seen.has(queued[0]!), 'the queued call never started').to.equal(false);
  });

  it('shutdown: done once every target is unregistered and every NSM connection closed; at once when already done', () => {
    const { runner: r, transport } = runner();
    r.open(tapStream('stream-a1'), () => {});
    connect(transport, ['stream-a1']);
    const stopped: string[] = [];
    r.shutdown(() => stopped.push('first'));
    expect(stopped).to.deep.equal([]);
    const rpcs = new Set<string>();
    const next = (): ScriptedCall | undefined => [...transport.calls].find((c) => c.kind !== 'stream' || c.rpc === 'getTargets');
    for (let call = next(); call; call = next()) {
      if (call.kind === 'token') call.answer({ ok: true, value: undefined });
      else if (call.kind === 'stream') call.push([]);
      else
        call.answer({
          ok: true,
          value: call.rpc === 'nsmRequest' ? answered(call.request as NetworkServiceRequest, ['172.16.0.2/24']) : ({} as Connection),
        });
      if (call.kind !== 'token') rpcs.add(call.rpc);
    }
    expect(stopped).to.deep.equal(['first']);
    expect([...rpcs]).to.include.members(['nsmClose']);
    r.shutdown(() => stopped.push('second'));
    expect(stopped).to.deep.equal(['first', 'second']);
  });

  it('shutdown with the NSP hanging: NSM Close is sent while the unregister hangs, and the shutdown ends within MERIDIO_TIMEOUT', () => {
    const { runner: r, transport } = runner('step');
    r.open(tapStream('stream-a1'), () => {});
    connect(transport, ['stream-a1']);
    // Acquire the target: lookup, register, verify, enable.
    for (let call = targetCalls(transport)[0]; call; call = targetCalls(transport)[0]) {
      if (call.kind === 'stream') call.push([]);
      else if (call.kind === 'unary') call.answer({ ok: true, value: {} });
    }
    const start = transport.now();
    const stopped: string[] = [];
    r.shutdown(() => stopped.push('done'));
    const hanging = (rpc: string): ScriptedCall[] => [...transport.calls].filter((c) => c.kind !== 'token' && c.rpc === rpc);
    expect(hanging('unregister'), 'the unregister, never answered').to.have.length(1);
    for (const token of [...transport.calls]) if (token.kind === 'token') token.answer({ ok: true, value: undefined });
    const close = hanging('nsmClose');
    expect(close, 'NSM Close sent while the NSP call hangs').to.have.length(1);
    const answer = close[0];
    if (answer?.kind === 'unary') answer.answer({ ok: true, value: {} });
    expect(hanging('unregister')).to.have.length(1);
    while (stopped.length === 0 && transport.advance());
    expect(stopped).to.deep.equal(['done']);
    expect(transport.now() - start).to.be.below(r.state.config.timeoutMs);
    expect(r.books()).to.deep.equal({ calls: [], timers: [] });
  });

  describe('invariants in production', () => {
    const corrupt = (r: Runner): void =>
      void r.state.trenches.set('ghost', { name: 'ghost', conduits: new Map() } as unknown as TrenchState);

    it("'step' reports a broken state after the next event, with that event", () => {
      const reports: string[] = [];
      const { runner: r } = runner('step', 256, (v, e) => reports.push(`${e.kind}: ${v.join('; ')}`));
      r.open(tapStream('stream-a1'), () => {});
      expect(reports).to.deep.equal([]);
      corrupt(r);
      r.open(tapStream('stream-a2'), () => {});
      expect(reports).to.have.length(1);
      expect(reports[0]).to.match(/^tapOpen: .*trench ghost has no conduits/);
      r.open(tapStream('stream-a1'), () => {});
      expect(reports, 'reported once').to.have.length(1);
    });

    it("'amortized' reports it within as many events as the state is large, plus one; 'off' never", () => {
      const reports: string[] = [];
      const { runner: r, transport } = runner('amortized', 256, (v) => reports.push(v.join('; ')));
      for (const s of ['stream-a1', 'stream-a2', 'stream-b1']) r.open(tapStream(s), () => {});
      connect(transport, ['stream-a1', 'stream-a2']);
      corrupt(r);
      const size = r.state.pending.size + r.state.timers.size + r.state.registry.size;
      let events = 0;
      while (reports.length === 0 && events <= size + 1) {
        r.open(tapStream('stream-a1'), () => {});
        events++;
      }
      expect(reports, `reported within ${size + 1} events`).to.have.length(1);
      const quiet = runner('off', 256, () => reports.push('off'));
      corrupt(quiet.runner);
      quiet.runner.open(tapStream('stream-a1'), () => {});
      expect(reports).to.have.length(1);
    });
  });
});
