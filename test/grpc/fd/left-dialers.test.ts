import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { DIALER_PREFIX, DIALER_SOCKET, removeLeftDialers } from '../../../src/grpc/fd/left-dialers.js';
import { scratchDir } from '../../support/scratch.js';

/** A dialer's directory as a process killed with SIGKILL leaves it: the socket still there, nobody listening. */
function leftBehind(parent: string, name?: string): string {
  const dir = name ? join(parent, name) : mkdtempSync(join(parent, DIALER_PREFIX));
  if (name) mkdirSync(dir, { mode: 0o700 });
  const socket = join(dir, DIALER_SOCKET);
  const killed = spawnSync(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  expect(killed.signal).to.equal('SIGKILL');
  aged(socket);
  return dir;
}

/** Made two minutes ago, as far as the sweep can tell. */
function aged(path: string): void {
  const then = new Date(Date.now() - 120_000);
  utimesSync(path, then, then);
}

describe('grpc/fd: dial directories left by sidecars that were killed', () => {
  it('removes one whose socket nobody listens on, and nothing else there', async () => {
    const parent = scratchDir('tapa-left-');
    const left = leftBehind(parent);
    writeFileSync(join(parent, 'other'), 'not ours');
    expect(await removeLeftDialers(parent)).to.deep.equal([left]);
    expect(existsSync(left)).to.equal(false);
    expect(existsSync(join(parent, 'other'))).to.equal(true);
  });

  it('removes an empty one over a minute old (killed before it bound its socket), and keeps a younger one', async () => {
    const parent = scratchDir('tapa-left-');
    const [old, young] = [mkdtempSync(join(parent, DIALER_PREFIX)), mkdtempSync(join(parent, DIALER_PREFIX))];
    aged(old);
    expect(await removeLeftDialers(parent)).to.deep.equal([old]);
    expect(existsSync(young)).to.equal(true);
  });

  it('keeps the directory of a dialer that still listens', async () => {
    const parent = scratchDir('tapa-left-');
    const dir = mkdtempSync(join(parent, DIALER_PREFIX));
    const server: Server = createServer((c) => c.destroy());
    await new Promise<void>((resolve) => server.listen(join(dir, DIALER_SOCKET), resolve));
    try {
      aged(join(dir, DIALER_SOCKET));
      expect(await removeLeftDialers(parent)).to.deep.equal([]);
      expect(existsSync(join(dir, DIALER_SOCKET))).to.equal(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps what is not a dialer directory for certain: another name, another mode, more inside, a link, a young socket', async () => {
    const parent = scratchDir('tapa-left-');
    const named = leftBehind(parent, `${DIALER_PREFIX}x`);
    const open = leftBehind(parent);
    chmodSync(open, 0o755);
    const fuller = leftBehind(parent);
    writeFileSync(join(fuller, 'notes'), 'someone else put this here');
    const target = leftBehind(scratchDir('tapa-left-target-'));
    symlinkSync(target, join(parent, `${DIALER_PREFIX}linked`));
    const young = leftBehind(parent);
    const now = new Date();
    utimesSync(join(young, DIALER_SOCKET), now, now);
    expect(await removeLeftDialers(parent)).to.deep.equal([]);
    for (const dir of [named, open, fuller, target, young]) expect(existsSync(join(dir, DIALER_SOCKET)), dir).to.equal(true);
  });

  it("keeps another user's", async function () {
    // Only root can give a directory away.
    if (process.getuid?.() !== 0) this.skip();
    const parent = scratchDir('tapa-left-');
    const theirs = leftBehind(parent);
    chownSync(theirs, 65534, 65534);
    expect(await removeLeftDialers(parent)).to.deep.equal([]);
    expect(existsSync(join(theirs, DIALER_SOCKET))).to.equal(true);
  });

  it('finds nothing to do in a directory that does not exist', async () => {
    expect(await removeLeftDialers(join(scratchDir('tapa-left-'), 'missing'))).to.deep.equal([]);
  });
});
