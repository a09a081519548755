import { expect } from 'chai';
import { Progress, progressLine, showsProgress } from '../../../src/sim/explore/progress.js';

/** A terminal that keeps what is written to it. */
function terminal(): NodeJS.WriteStream & { text: string } {
  const t = { text: '', columns: 100, isTTY: true, write: (s: string) => ((t.text += s), true) };
  return t as unknown as NodeJS.WriteStream & { text: string };
}

describe('sim: progress of long work', () => {
  it('is shown on a terminal only, and never with JSON output', () => {
    expect(showsProgress({ isTTY: true }, false)).to.equal(true);
    expect(showsProgress({ isTTY: true }, true)).to.equal(false);
    expect(showsProgress({ isTTY: false }, false)).to.equal(false);
    expect(showsProgress({}, false)).to.equal(false);
  });

  it('says runs done of planned, the rate, elapsed time, ETA and what was found', () => {
    expect(progressLine({ unit: 'runs', done: 1200, planned: 3000, elapsedMs: 2000, found: 1 })).to.equal(
      '1200 / 3000 runs (40%), 600 runs/s, 2s elapsed, ETA 3s, found 1',
    );
    expect(progressLine({ unit: 'runs', done: 0, planned: 10, elapsedMs: 0 })).to.equal('0 / 10 runs (0%), 0 runs/s, 0s elapsed');
    expect(progressLine({ unit: 'runs', done: 50, elapsedMs: 1000 }), 'bounded by time only').to.equal('50 runs, 50 runs/s, 1s elapsed');
    expect(progressLine({ unit: 'runs', done: 100, planned: 400_100, elapsedMs: 61_000 })).to.contain('1m01s elapsed, ETA 67h');
  });

  it('is drawn in place and wiped at the end, so that the summary is the last line; off, it writes nothing', () => {
    const on = terminal();
    const p = new Progress(on, true, 'runs', 10);
    p.update(3, 0);
    p.end();
    expect(on.text.startsWith('\r3 / 10 runs (30%), ')).to.equal(true);
    expect(on.text.endsWith(', found 0\x1b[K\r\x1b[K')).to.equal(true);
    const off = terminal();
    const q = new Progress(off, false, 'runs', 10);
    q.update(3, 0);
    q.end();
    expect(off.text).to.equal('');
  });
});
