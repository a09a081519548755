import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { blockedSignature, parseTraces, TRACES_SEPARATOR } from '../../../src/sim/goroutine/index.js';
import { MODELS } from '../../../src/sim/models/index.js';
import { replay } from '../../../src/sim/explore/replay.js';
import { runScenario } from '../../../src/sim/harness/run.js';
import { parseTrace } from '../../../src/sim/explore/trace.js';

const fixture = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the #578 trace (test/traces/issue-578.json)', function () {
  this.timeout(120_000);
  const trace = parseTrace(fixture('traces/issue-578.json'), [...MODELS.keys()]);

  it('replays on legacy-v1.1.4 as recorded, and deadlocks: Stream.Open -> conduit.mu, monitorConnection -> WaitGroup in Stop, Stream.Close -> stream.mu', () => {
    const outcome = replay(trace, MODELS.get('legacy-v1.1.4')!);
    expect(outcome.kind).to.equal('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.failure.kind).to.equal('deadlock');
    const cycle = outcome.failure.message.slice(0, outcome.failure.message.indexOf(TRACES_SEPARATOR));
    expect(cycle).to.match(
      /waits: lock conduit\.mu[\s\S]*holds: stream\.mu[\s\S]*conduit\.\(\*Conduit\)\.GetIPs\n\s+stream\.\(\*Stream\)\.Open/,
    );
    expect(cycle).to.match(/holds: conduit\.mu[\s\S]*sync\.\(\*WaitGroup\)\.Wait\n\s+conduit\.\(\*streamManager\)\.Stop/);
    expect(cycle).to.match(/waits: lock stream\.mu[\s\S]*stream\.\(\*Stream\)\.Close/);
  });

  it('its goroutine dump blocks exactly where the reported profile does (same parser, same multiset)', () => {
    const outcome = replay(trace, MODELS.get('legacy-v1.1.4')!);
    if (outcome.kind !== 'failed') throw new Error(`expected a deadlock, got ${outcome.kind}`);
    const message = outcome.failure.message;
    const simulated = blockedSignature(parseTraces(message.slice(message.indexOf(TRACES_SEPARATOR))));
    const reported = blockedSignature(parseTraces(fixture('fixtures/pprof-578.txt')));
    expect([...simulated].sort()).to.deep.equal([...reported].sort());
    expect(Object.fromEntries(reported)).to.deep.equal({
      'stream.(*Stream).Close': 2,
      'conduit.(*Conduit).GetIPs': 2,
      'tap.(*Tap).Close.func1': 2,
      'conduit.(*streamManager).Stop': 1,
      'conduit.(*Conduit).SetVIPs': 1,
      'conduit.(*streamManager).RemoveStream': 1,
      'conduit.(*streamManager).SetStreams': 1,
      'tap.(*Tap).Open': 1,
    });
  });

  it("the core passes the same scenario: under the trace's schedule and under 1,000 random schedules", () => {
    const core = MODELS.get('core')!;
    expect(replay(trace, core).kind).to.equal('passed');
    for (let seed = 0; seed < 1_000; seed++) {
      const r = runScenario(trace.scenario, { model: core, strategy: { kind: 'random', seed }, seed });
      expect(r.failure, `random schedule ${seed}`).to.equal(undefined);
    }
  });
});
