import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recording } from '../../src/runner/recording.js';
import { enabled, recordIncident, run } from './incident.js';
import { eventually, rig, stream } from './world.js';
import { scratchDir } from '../support/scratch.js';

/** A page that opens from a bug report as it is: nothing fetched from anywhere. */
function selfContained(html: string): void {
  expect(html).to.match(/^<!doctype html>/);
  expect(html).to.not.match(/<(script|link|img)[^>]+(src|href)=/);
}

describe('flight recorder: from a sidecar incident to a replay', function () {
  this.timeout(120_000);
  const dir = scratchDir('tapa-recording-');

  it('opens, an IP change and an NSP restart: tapa record over the health socket, and the recording replays exactly; without one NSM answer it does not', async () => {
    const file = join(dir, 'incident.json');
    await recordIncident(file);
    const recording = JSON.parse(readFileSync(file, 'utf8')) as Recording;
    expect(recording.why).to.equal('incident 42');
    const kinds = new Set(recording.steps.map((s) => s.event.kind));
    for (const kind of ['tapOpen', 'nsmConnection', 'nsmEvent', 'nspTargets', 'failed']) expect([...kinds]).to.include(kind);

    const page = join(dir, 'incident.html');
    const replayed = await run('src/sim/cli/main.ts', ['replay', file, '--html', page]);
    expect(replayed.code, replayed.stdout + replayed.stderr).to.equal(0);
    expect(replayed.stdout).to.match(/every effect as recorded, every invariant held/);
    const html = readFileSync(page, 'utf8');
    selfContained(html);
    expect(html).to.include('badge-passed');
    for (const lane of ['application', 'NSP', 'NSM', 'target-a']) expect(html).to.include(`<b>${lane}</b>`);
    for (const [i, s] of recording.steps.entries()) expect(html).to.include(`step ${i + 1}: `, s.event.kind);
    expect(html).to.match(/Tap\.Open trench-a\/load-balancer-a1\/stream-a1/);

    // An NSM answer that never came: the core, replayed, no longer asks for what it asked next.
    const dropped = recording.steps.findIndex((s) => s.event.kind === 'nsmConnection');
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify({ ...recording, steps: recording.steps.filter((_, i) => i !== dropped) }));
    const editedPage = join(dir, 'edited.html');
    const diverged = await run('src/sim/cli/main.ts', ['replay', edited, '--html', editedPage]);
    expect(diverged.code).to.equal(2);
    expect(diverged.stderr).to.match(new RegExp(`at step ${dropped + 1} \\(.*\\): effect \\d+ differs: recorded`));
    const marked = readFileSync(editedPage, 'utf8');
    expect(marked).to.include('badge-diverged');
    expect(marked).to.match(new RegExp(`<g id="verdict"[^]*step ${dropped + 1} \\(`));
  });

  it('a core that breaks its invariants writes a recording by itself, and the recording replays to the broken invariant', async () => {
    const records = join(dir, 'auto');
    const r = await rig({ MERIDIO_RECORD_EVENTS: '4096', MERIDIO_RECORD_DIR: records }, { sidecar: { fault: 'counts-reopen' } });
    try {
      expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
      await eventually(() => expect(enabled(r)).to.have.length(1));
      expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
      // Production checks the invariants every so many events: a Watch's traffic brings them.
      const watch = r.watch(stream('stream-a1'), () => {});
      await eventually(() => expect(readdirSync(records).filter((f) => f.endsWith('-invariant.json'))).to.have.length(1));
      watch.cancel();
    } finally {
      await r.stop();
    }
    const [file] = readdirSync(records);
    const page = join(records, 'broken.html');
    const replayed = await run('src/sim/cli/main.ts', ['replay', join(records, file!), '--html', page]);
    expect(replayed.code, replayed.stdout + replayed.stderr).to.equal(1);
    const html = readFileSync(page, 'utf8');
    selfContained(html);
    expect(html).to.include('badge-invariant');
    expect(html).to.match(/<g id="verdict"[^]*invariants broken: conduit trench-a\/load-balancer-a1 counts 2 wanted streams/);
    expect(replayed.stdout).to.match(/core fault counts-reopen/);
    expect(replayed.stdout).to.match(
      /step \d+ \(tapOpen\b.*\): invariants broken: conduit trench-a\/load-balancer-a1 counts 2 wanted streams, has 1/,
    );
  });

  it('a core stuck in a loop: the watchdog thread has the stuck loop write a recording, which replays to the stuck step', async () => {
    const records = join(dir, 'stuck');
    const r = await rig(
      { MERIDIO_RECORD_EVENTS: '4096', MERIDIO_RECORD_DIR: records },
      { sidecar: { fault: 'spins-on-close', stuckMs: 200 } },
    );
    try {
      expect(await r.call('open', stream('stream-a1'))).to.equal(undefined);
      await eventually(() => expect(enabled(r)).to.have.length(1));
      // The Close holds this very process until the watchdog has interrupted it: by the answer, the dump is there.
      // Its deadline is the fault's own limit, since the Close lasts as long as the dump takes, which a loaded machine stretches.
      expect(await r.call('close', stream('stream-a1'), 60_000)).to.equal(undefined);
      expect(readdirSync(records).filter((f) => f.endsWith('-stuck.json'))).to.have.length(1);
    } finally {
      await r.stop();
    }
    const [file] = readdirSync(records);
    const recording = JSON.parse(readFileSync(join(records, file!), 'utf8')) as Recording;
    expect(recording.steps.at(-1)).to.include({ unfinished: true });
    expect(recording.steps.at(-1)!.event.kind).to.equal('tapClose');
    const replayed = await run('src/sim/cli/main.ts', ['replay', join(records, file!)]);
    expect(replayed.code, replayed.stdout + replayed.stderr).to.equal(1);
    expect(replayed.stdout).to.match(/core fault spins-on-close/);
    expect(replayed.stdout).to.match(
      /step \d+ \(tapClose\b.*\): the core was stuck on this event when the recording was made; not replayed/,
    );
  });
});
