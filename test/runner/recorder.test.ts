import { expect } from 'chai';
import type { NetworkServiceRequest } from '../../src/core/wire.js';
import type { Core } from '../../src/runner/core-fault.js';
import { Runner } from '../../src/runner/runner.js';
import { REDACTED } from '../../src/runner/recording.js';
import { ScriptedTransport } from '../../src/runner/scripted.js';
import { replayRecording } from '../../src/sim/explore/recording.js';
import { answered, tapStream } from '../core/driver.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwb2QifQ.c2lnbmF0dXJl';

function recorded(recordEvents: number): { runner: Runner; transport: ScriptedTransport } {
  const transport = new ScriptedTransport();
  const runner = new Runner(transport, {
    seed: 7,
    config: { name: 'pod-a', node: 'node-1' },
    nspCallsInFlight: 4,
    newSegmentId: () => 'segment',
    recordEvents,
  });
  return { runner, transport };
}

/** Opens and closes streams, and has NSM answer with a signed path, until `events` events were stepped. */
function busy(runner: Runner, transport: ScriptedTransport, events: number): void {
  for (let i = 0; runner.events < events; i++) {
    runner.open(tapStream(`stream-${i % 3}`), () => {});
    for (const call of [...transport.calls]) {
      if (call.kind === 'token') call.answer({ ok: true, value: { token: JWT, expires: new Date(transport.now() + 60_000) } });
      else if (call.kind === 'unary' && call.rpc === 'nsmRequest') {
        const connection = answered(call.request as NetworkServiceRequest, ['172.16.0.2/24']);
        call.answer({ ok: true, value: { ...connection, path: (call.request as NetworkServiceRequest).connection!.path! } });
      } else if (call.kind === 'stream' && call.rpc === 'monitorConnections')
        call.push({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
    }
    runner.close(tapStream(`stream-${(i + 1) % 3}`), () => {});
  }
}

describe('runner: the flight recorder', () => {
  it('off unless asked for', () => {
    const { runner } = recorded(0);
    expect(runner.recording('test')).to.equal(undefined);
  });

  it('keeps at least three quarters of its size of the last events, from a snapshot that replays them exactly', () => {
    const { runner, transport } = recorded(40);
    busy(runner, transport, 5_000);
    const recording = runner.recording('test')!;
    // Four segments of ten events, the last one filling.
    expect(recording.steps.length).to.be.within(30, 40);
    expect(recording.dropped).to.be.above(0);
    expect(recording.dropped + recording.steps.length).to.equal(runner.events);
    expect(replayRecording(recording)).to.deep.equal({ kind: 'passed', steps: recording.steps.length });
  });

  it('keeps events by reference, and a recording steps them again: neither the core nor the runner changes one after its step', () => {
    const { runner, transport } = recorded(1_000);
    // Frozen, any later write into an event or an effect, or into the state they share objects with, throws.
    const inner = (runner as unknown as { core: Core }).core;
    const freezing: Core = (state, event, changes) => deepFreeze(inner(state, deepFreeze(event), changes));
    Object.defineProperty(runner, 'core', { value: freezing });
    runner.watch(undefined, () => {});
    busy(runner, transport, 2_000);
    const recording = runner.recording('test')!;
    expect(recording.steps.some((s) => s.threw !== undefined)).to.equal(false);
    expect(replayRecording(recording).kind).to.equal('passed');
  });

  it('names the first step that the core, stepped again for a recording, does not take the way it did live', () => {
    const { runner, transport } = recorded(1_000);
    // Live, one step in the middle emits an effect more than the core that the recording steps again.
    const inner = (runner as unknown as { core: Core }).core;
    let n = 0;
    const extra: Core = (state, event, changes) => {
      const effects = inner(state, event, changes);
      return ++n === 30 ? [...effects, { kind: 'cancelTimer', timer: -1 }] : effects;
    };
    Object.defineProperty(runner, 'core', { value: extra });
    busy(runner, transport, 60);
    const recording = runner.recording('test')!;
    const live = recording.steps[29]!.effects!.length + 1;
    expect(recording.why).to.equal(
      `test; step 30 (${recording.steps[29]!.event.kind}) came out ${live - 1} effects when the recording was made, ${live} effects live`,
    );
  });

  it('takes the NSM tokens out, and the replay does not miss them', () => {
    const { runner, transport } = recorded(1_000);
    busy(runner, transport, 60);
    const recording = runner.recording('test')!;
    const text = JSON.stringify(recording);
    expect(text).to.not.include(JWT);
    expect(text).to.include(REDACTED);
    expect(replayRecording(recording).kind).to.equal('passed');
  });

  it('keeps a big Watch snapshot as a digest, which the replay checks as well', () => {
    const { runner, transport } = recorded(1_000);
    runner.watch(undefined, () => {});
    busy(runner, transport, 10);
    for (let i = 0; i < 20; i++) runner.open(tapStream(`many-${i}`), () => {});
    const recording = runner.recording('test')!;
    const digests = recording.steps.flatMap((s) => s.effects ?? []).filter((e) => e.kind === 'publish' && 'sha1' in e);
    expect(digests).to.not.have.length(0);
    expect(replayRecording(recording).kind).to.equal('passed');
    const last = recording.steps.at(-1)!;
    const tampered = last.effects!.map((e) => (e.kind === 'publish' && 'sha1' in e ? { ...e, sha1: '0'.repeat(40) } : e));
    const outcome = replayRecording({ ...recording, steps: [...recording.steps.slice(0, -1), { ...last, effects: tampered }] });
    expect(outcome.kind).to.equal('diverged');
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}
