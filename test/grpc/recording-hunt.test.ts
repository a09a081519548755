import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadState, saveState, step } from '../../src/core/index.js';
import type { Recording } from '../../src/runner/recording.js';
import { hunt } from '../../src/sim/explore/hunt.js';
import { startOf } from '../../src/sim/explore/recording.js';
import { MODELS } from '../../src/sim/models/index.js';
import type { Trace } from '../../src/sim/explore/trace.js';
import { recordIncident, run } from './incident.js';
import { scratchDir } from '../support/scratch.js';

const sim = (args: string[]) => run('src/sim/cli/main.ts', args);

describe('hunt --from-recording: every run begins where a sidecar incident ended', function () {
  this.timeout(120_000);
  const dir = scratchDir('tapa-hunt-recording-');
  const file = join(dir, 'incident.json');
  let recording: Recording;

  before(async () => {
    // The production default MERIDIO_TIMEOUT rather than the rig's 3 s: a shutdown that
    // gives up after 3 s of NSM errors leaves its connection to an NSM that, without
    // tokens, never expires it; that is the rig's world, not the sidecar's.
    await recordIncident(file, 'incident 43', { MERIDIO_TIMEOUT: '15s' });
    recording = JSON.parse(readFileSync(file, 'utf8')) as Recording;
  });

  it('begins from the state at the end: the calls in flight are made again, the timers set for what was left of them', () => {
    const start = startOf(recording);
    expect(start.steps).to.equal(recording.steps.length);
    expect(start.recording).to.equal('incident 43');
    // Exactly what the core waits for at the end: its pending calls and its timers. Which
    // watches are open then or wait to be re-opened depends on when the NSP came back.
    const end = loadState(JSON.stringify(recording.snapshot));
    for (const s of recording.steps) step(end, structuredClone(s.event));
    const resumed = (which: 'op' | 'timer') =>
      start.resume.flatMap(({ effect }) => (which in effect ? [(effect as unknown as Record<typeof which, number>)[which]] : [])).sort();
    expect(resumed('op')).to.deep.equal([...end.pending.keys()].sort());
    expect(resumed('timer')).to.deep.equal([...end.timers.keys()].sort());
    expect(start.resume.map((r) => r.effect.kind)).to.include.members(['monitorConnections', 'watchStreams', 'setTimer']);
    expect(start.lost).to.deep.equal([]);
  });

  it('a ring that dropped its first events: the calls begun before it fail at the start, its timers fire at once, and the core recovers', () => {
    const cut = Math.floor(recording.steps.length / 2);
    const state = loadState(JSON.stringify(recording.snapshot));
    for (const s of recording.steps.slice(0, cut)) step(state, structuredClone(s.event));
    const later: Recording = {
      ...recording,
      dropped: cut,
      startedAt: recording.steps[cut]!.at,
      snapshot: JSON.parse(saveState(state)) as unknown,
      steps: recording.steps.slice(cut),
    };
    const start = startOf(later);
    expect(start.lost.length, 'the conduit monitor, begun before the ring').to.be.greaterThan(0);
    const result = hunt({ model: MODELS.get('core')!, strategy: 'portfolio', runs: 4, seed: 7, start });
    expect(result.found, result.trace?.failure?.message).to.equal(false);
  });

  it('the real core: nothing found; a broken core: found, and the counterexample replays from the recorded state with the same verdict', async () => {
    const clean = await sim([
      'hunt',
      '--model',
      'core',
      '--from-recording',
      file,
      '--runs',
      '20',
      '--workers',
      '1',
      '--json',
      '--out',
      dir,
    ]);
    expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
    expect(clean.stdout).to.match(
      new RegExp(`from ${file.replace(/[.]/g, '\\.')} after its step ${recording.steps.length}\\): 20 runs .*nothing found`),
    );
    const summary = JSON.parse(clean.stdout.trim().split('\n').at(-1)!) as { fromRecording: unknown };
    expect(summary.fromRecording).to.deep.equal({ why: 'incident 43', steps: recording.steps.length });

    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    const hunt = (out: string, workers: string) =>
      sim(['hunt', '--model', 'broken:keeps-old-target', '--from-recording', file, '--runs', '30', '--workers', workers, '--out', out]);
    const found = await hunt(a, '2');
    expect(found.code, found.stdout + found.stderr).to.equal(1);
    expect(found.stdout).to.match(/found invariant .*\n {2}target-a: stale target 172\.16\.0\.\d+\/24/);
    const trace = JSON.parse(readFileSync(join(a, 'counterexample.json'), 'utf8')) as Trace;
    expect(trace.start?.recording).to.equal('incident 43');
    expect(readFileSync(join(a, 'counterexample.html'), 'utf8')).to.include('<b>target-a</b>');

    const replayed = await sim(['replay', join(a, 'counterexample.json')]);
    expect(replayed.code, replayed.stdout + replayed.stderr).to.equal(1);
    expect(replayed.stdout).to.include(`invariant at t=${trace.failure!.time} ms`);
    expect(replayed.stdout).to.include(trace.failure!.message);

    // The same seed: the same counterexample, byte for byte, on any number of workers.
    const again = await hunt(b, '1');
    expect(again.code).to.equal(1);
    expect(readFileSync(join(b, 'counterexample.json'), 'utf8')).to.equal(readFileSync(join(a, 'counterexample.json'), 'utf8'));
  });

  it('a file that is not a whole recording of this version, or a model that cannot begin from one: exit 2, saying why', async () => {
    const text = readFileSync(file, 'utf8');
    const bad = {
      'trace.json': [JSON.stringify({ format: 'tapa-sim-trace', version: 1 }), /not a flight recording \(tapa record writes one\)/],
      'v9.json': [JSON.stringify({ ...recording, version: 9 }), /recording version 9: this tapa-sim reads version 1/],
      'cut.json': [text.slice(0, text.length / 2), /not a whole recording \(cut short\?\)/],
    } as const;
    for (const [name, [content, message]] of Object.entries(bad)) {
      writeFileSync(join(dir, name), content);
      const r = await sim(['hunt', '--model', 'core', '--from-recording', join(dir, name), '--runs', '1']);
      expect(r.code, name).to.equal(2);
      expect(r.stderr, name).to.match(message);
    }
    const legacy = await sim(['hunt', '--model', 'legacy-v1.1.4', '--from-recording', file, '--runs', '1']);
    expect(legacy.code).to.equal(2);
    expect(legacy.stderr).to.match(/model legacy-v1\.1\.4 cannot begin from a recorded core/);
  });
});
