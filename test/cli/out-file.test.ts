import { expect } from 'chai';
import {
  chmodSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOutFile } from '../../src/cli/out-file.js';

describe('cli: the file an operator names with --out', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tapa-out-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `{}` into the file and says what it then holds, and its permission bits. */
  const written = (file: string): { text: string; mode: number } => {
    writeOutFile(file, Buffer.from('{}'));
    return { text: readFileSync(file, 'utf8'), mode: statSync(file).mode & 0o777 };
  };

  it('is made readable by its owner alone', () => {
    expect(written(join(dir, 'recording.json'))).to.deep.equal({ text: '{}', mode: 0o600 });
  });

  it('is overwritten when it is there already, keeping its mode', () => {
    const file = join(dir, 'recording.json');
    writeFileSync(file, 'an older and longer recording');
    chmodSync(file, 0o640);
    expect(written(file)).to.deep.equal({ text: '{}', mode: 0o640 });
  });

  it('is not written through a symbolic link, and what the link points to is left as it was', () => {
    const target = join(dir, 'not-ours');
    writeFileSync(target, 'precious');
    const link = join(dir, 'recording.json');
    symlinkSync(target, link);
    expect(() => writeOutFile(link, Buffer.from('{}'))).to.throw(/is a symbolic link/);
    expect(readFileSync(target, 'utf8')).to.equal('precious');
  });

  it('is not written into a FIFO placed at its name, whether or not something reads it, and does not wait', () => {
    const fifo = join(dir, 'recording.json');
    expect(spawnSync('mkfifo', [fifo]).status).to.equal(0);
    expect(() => writeOutFile(fifo, Buffer.from('{}'))).to.throw(/cannot write: ENXIO/);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      expect(() => writeOutFile(fifo, Buffer.from('{}'))).to.throw(/is not a regular file/);
    } finally {
      closeSync(reader);
    }
  });

  it('is not written into a directory', () => {
    expect(() => writeOutFile(dir, Buffer.from('{}'))).to.throw(/cannot write: EISDIR/);
  });

  it('says why it cannot be written', () => {
    expect(() => writeOutFile(join(dir, 'missing', 'recording.json'), Buffer.from('{}'))).to.throw(/cannot write: ENOENT/);
  });
});
