import { expect } from 'chai';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEPT_RECORDINGS, writeRecording } from '../../src/grpc/record-dir.js';
import type { Recording } from '../../src/runner/recording.js';
import { scratchDir } from '../support/scratch.js';

const recording = { why: 'core broken' } as unknown as Recording;
const at = (second: number): Date => new Date(Date.UTC(2026, 11, 7, 12, 0, second));
const nameAt = (second: number, pid = 7): string =>
  `tapa-recording-${at(second).toISOString().replace(/[-:.]/g, '')}-${pid}-core-broken.json`;

describe('grpc: recordings in MERIDIO_RECORD_DIR, a directory others may write', () => {
  it(`keeps the ${KEPT_RECORDINGS} newest of ours, readable by us alone, and leaves everything else there`, () => {
    const dir = scratchDir('tapa-records-');
    writeFileSync(join(dir, 'notes.json'), 'theirs');
    for (let s = 0; s < KEPT_RECORDINGS + 3; s++) writeRecording(dir, recording, at(s), 7);
    const left = readdirSync(dir).sort();
    expect(left).to.deep.equal(['notes.json', ...Array.from({ length: KEPT_RECORDINGS }, (_, i) => nameAt(i + 3))].sort());
    expect(lstatSync(join(dir, nameAt(KEPT_RECORDINGS + 2))).mode & 0o777).to.equal(0o600);
  });

  it('never writes through a symlink or over a file placed at its name', () => {
    const dir = scratchDir('tapa-records-');
    const victim = join(scratchDir('tapa-victim-'), 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, nameAt(1)));
    writeFileSync(join(dir, nameAt(2)), 'placed');
    expect(() => writeRecording(dir, recording, at(1), 7)).to.throw(/EEXIST/);
    expect(() => writeRecording(dir, recording, at(2), 7)).to.throw(/EEXIST/);
    expect(readFileSync(victim, 'utf8')).to.equal('precious');
    expect(readFileSync(join(dir, nameAt(2)), 'utf8')).to.equal('placed');
  });

  it('removes only regular files of ours: not a symlink, a directory or another user’s file that bears our name', () => {
    const dir = scratchDir('tapa-records-');
    const victim = join(scratchDir('tapa-victim-'), 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, nameAt(0, 1)));
    mkdirSync(join(dir, nameAt(0, 2)));
    writeFileSync(join(dir, nameAt(0, 3)), 'theirs');
    const foreign = process.getuid?.() === 0;
    if (foreign) chownSync(join(dir, nameAt(0, 3)), 4242, 4242);
    for (let s = 1; s <= KEPT_RECORDINGS + 2; s++) writeRecording(dir, recording, at(s), 7);
    expect(existsSync(join(dir, nameAt(0, 1)))).to.equal(true);
    expect(readFileSync(victim, 'utf8')).to.equal('precious');
    expect(lstatSync(join(dir, nameAt(0, 2))).isDirectory()).to.equal(true);
    // As root the file can be given to another user; otherwise it is ours and goes like the rest.
    expect(existsSync(join(dir, nameAt(0, 3)))).to.equal(foreign);
    expect(readdirSync(dir).filter((n) => n.endsWith('-7-core-broken.json'))).to.have.length(KEPT_RECORDINGS);
  });
});
