import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs, { linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { unary } from '../../src/grpc/calls.js';
import { ConfigError, loadConfig } from '../../src/grpc/config.js';
import { HealthCheck } from '../../src/grpc/health.js';
import { startSidecar, type Sidecar } from '../../src/grpc/sidecar.js';
import { serveOn } from '../../src/grpc/unix-socket.js';
import { eventually } from './world.js';
import { scratchDir } from '../support/scratch.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const directory = (): string => scratchDir('tapa-socket-');

const modeOf = (path: string): number => lstatSync(path).mode & 0o777;

/** A grpc.health.v1 server, the cheapest thing to serve on a socket and ask whether it answers. */
function healthServer(): grpc.Server {
  const server = new grpc.Server();
  new HealthImplementation({ '': 'SERVING' }).addToServer(server);
  return server;
}

function check(path: string): Promise<string> {
  const client = new grpc.Client(`unix://${path}`, grpc.credentials.createInsecure());
  return new Promise((resolve) =>
    unary(client, HealthCheck, { service: '' }, 5_000, (r) => {
      client.close();
      resolve(r.ok ? r.value.status : r.error.code);
    }),
  );
}

/** Serving on `path` fails: the ConfigError it fails with. */
async function refusal(path: string): Promise<ConfigError> {
  const server = healthServer();
  try {
    (await serveOn(server, { variable: 'MERIDIO_SOCKET', path })).close();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  } finally {
    server.forceShutdown();
  }
  throw new Error(`served on ${path}`);
}

function listen(path: string): Promise<Server> {
  const server = createServer((connection) => connection.end());
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

/** A socket file that no process listens on, as a kill -9 leaves one (a closed listener removes its file). */
async function staleSocket(path: string): Promise<void> {
  const server = await listen(`${path}.bound`);
  linkSync(`${path}.bound`, path);
  await new Promise((resolve) => server.close(resolve));
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function sidecar(socket: string, env: Record<string, string> = {}): Promise<Sidecar> {
  const config = loadConfig({
    MERIDIO_SOCKET: socket,
    MERIDIO_HEALTH_SOCKET: '',
    MERIDIO_NSP_ADDRESS: '127.0.0.1:1',
    MERIDIO_NSM_SOCKET: `unix://${join(tmpdir(), 'tapa-no-nsm.sock')}`,
    ...env,
  });
  return startSidecar(config, pino({ level: 'silent' }));
}

/** A node process running `loop` on `args` until killed: it races the sidecar from another core. */
function racer(loop: string, args: readonly string[]): { child: ChildProcess; lines(): string[] } {
  const child = spawn(process.execPath, ['-e', `const fs = require('node:fs'); const [a, b] = process.argv.slice(1); ${loop}`, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, lines: () => output.split('\n').filter((l) => l !== '') };
}

describe('the Tap and health socket paths', function () {
  this.timeout(60_000);

  describe('refused, with one line naming the variable and the reason, and nothing touched', () => {
    it('a regular file: kept, with its content', async () => {
      const path = join(directory(), 'tapa.sock');
      writeFileSync(path, 'the operator file');
      const err = await refusal(path);
      expect(err.message).to.equal(
        `MERIDIO_SOCKET=${JSON.stringify(path)}: expected a free path or a stale unix socket, found a regular file (left as it is)`,
      );
      expect(readFileSync(path, 'utf8')).to.equal('the operator file');
    });

    it('a directory, a FIFO', async () => {
      const dir = join(directory(), 'tapa.sock');
      mkdirSync(dir);
      writeFileSync(join(dir, 'inside'), 'x');
      expect((await refusal(dir)).message).to.match(/found a directory \(left as it is\)$/);
      expect(readdirSync(dir)).to.deep.equal(['inside']);
      const fifo = join(directory(), 'tapa.sock');
      const mkfifo = spawn('mkfifo', [fifo]);
      expect(await new Promise((resolve) => mkfifo.on('exit', resolve))).to.equal(0);
      expect((await refusal(fifo)).message).to.match(/found a FIFO \(left as it is\)$/);
      expect(lstatSync(fifo).isFIFO()).to.equal(true);
    });

    it('a symlink, to a file or to nowhere: never followed, the victim untouched', async () => {
      const dir = directory();
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'secret', { mode: 0o600 });
      for (const target of [victim, join(dir, 'nowhere')]) {
        const path = join(dir, `tapa-${target === victim ? 'a' : 'b'}.sock`);
        symlinkSync(target, path);
        expect((await refusal(path)).message).to.match(/found a symbolic link, which is never followed \(left as it is\)$/);
        expect(lstatSync(path).isSymbolicLink()).to.equal(true);
      }
      expect(modeOf(victim)).to.equal(0o600);
      expect(readFileSync(victim, 'utf8')).to.equal('secret');
      expect(readdirSync(dir).sort()).to.deep.equal(['tapa-a.sock', 'tapa-b.sock', 'victim']);
    });

    it('a live socket of another server (a second sidecar on the same path): the first keeps serving', async () => {
      const path = join(directory(), 'tapa.sock');
      const first = await sidecar(path);
      try {
        const err = await sidecar(path).then(
          () => expect.fail('the second sidecar started'),
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.match(/^MERIDIO_SOCKET=".*": expected .*found a unix socket that a process answers on/);
        expect(await check(path)).to.equal('SERVING');
      } finally {
        await first.shutdown();
      }
      expect(lstatSync(path, { throwIfNoEntry: false })).to.equal(undefined);
    });

    it('a path over 107 bytes, counted in bytes: nothing created at the truncated path', async () => {
      const dir = directory();
      const room = 107 - Buffer.byteLength(`${dir}/`);
      const fits = join(dir, 'x'.repeat(room));
      const server = healthServer();
      const served = await serveOn(server, { variable: 'MERIDIO_SOCKET', path: fits });
      expect(await check(fits)).to.equal('SERVING');
      served.close();
      server.forceShutdown();
      for (const name of ['x'.repeat(room + 1), 'é'.repeat(Math.ceil((room + 1) / 2))]) {
        expect(name.length).to.be.at.most(107);
        const err = await refusal(join(dir, name));
        expect(err.message).to.match(
          new RegExp(`expected at most 107 bytes, the limit of a unix socket address, not ${Buffer.byteLength(join(dir, name))}$`),
        );
      }
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it('a missing parent directory, or a parent that is a file: said so', async () => {
      const dir = directory();
      const missing = join(dir, 'nope');
      expect((await refusal(join(missing, 'tapa.sock'))).message).to.match(
        new RegExp(`expected a path in an existing directory, but ${missing} does not exist$`),
      );
      writeFileSync(missing, '');
      expect((await refusal(join(missing, 'tapa.sock'))).message).to.match(
        new RegExp(`expected a path in a directory, but ${missing} is not one$`),
      );
      expect((await refusal('')).message).to.equal('MERIDIO_SOCKET="": expected a path');
    });
  });

  it('a stale socket (what a killed sidecar leaves) is replaced', async () => {
    const path = join(directory(), 'tapa.sock');
    await staleSocket(path);
    expect(lstatSync(path).isSocket()).to.equal(true);
    expect(await answers(path)).to.equal(false);
    const server = healthServer();
    const served = await serveOn(server, { variable: 'MERIDIO_SOCKET', path });
    try {
      expect(await check(path)).to.equal('SERVING');
    } finally {
      served.close();
      server.forceShutdown();
    }
  });

  it('born with MERIDIO_SOCKET_MODE, no chmod anywhere; the umask is restored and the health socket keeps the process umask', async () => {
    const dir = directory();
    const chmods: string[] = [];
    const original = { ...fs };
    const spied = ['chmod', 'chmodSync', 'fchmod', 'fchmodSync', 'lchmod', 'lchmodSync'] as const;
    const writable = fs as unknown as Record<string, unknown>;
    const promises = fs.promises as unknown as Record<string, unknown>;
    const promisesChmod = fs.promises.chmod;
    for (const name of spied) writable[name] = (...args: unknown[]) => void chmods.push(`${name} ${String(args[0])}`);
    promises['chmod'] = (...args: unknown[]) => void chmods.push(`promises.chmod ${String(args[0])}`);
    // ES module imports of node:fs see the replaced functions only after this.
    syncBuiltinESMExports();
    const umask = process.umask(0o027);
    try {
      const running = await sidecar(join(dir, 'tapa.sock'), {
        MERIDIO_SOCKET_MODE: '0600',
        MERIDIO_HEALTH_SOCKET: join(dir, 'health.sock'),
      });
      expect(process.umask(0o027)).to.equal(0o027);
      expect(modeOf(join(dir, 'tapa.sock'))).to.equal(0o600);
      expect(modeOf(join(dir, 'health.sock'))).to.equal(0o750);
      await running.shutdown();
    } finally {
      process.umask(umask);
      for (const name of spied) writable[name] = original[name];
      promises['chmod'] = promisesChmod;
      syncBuiltinESMExports();
    }
    expect(chmods).to.deep.equal([]);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('never seen with another mode, by a process watching the path while the sidecar starts and stops 10 times', async () => {
    const path = join(directory(), 'tapa.sock');
    // Prints the mode of each socket it sees appear, and "-" when it is gone.
    const watcher = racer(
      `let seen = false;
      for (;;) {
        const st = fs.lstatSync(a, { throwIfNoEntry: false });
        const now = st !== undefined && st.isSocket();
        if (now !== seen) process.stdout.write(now ? (st.mode & 0o777).toString(8) + '\\n' : '-\\n');
        seen = now;
      }`,
      [path],
    );
    try {
      for (let i = 1; i <= 10; i++) {
        const running = await sidecar(path, { MERIDIO_SOCKET_MODE: '0600' });
        await eventually(() => expect(watcher.lines()).to.have.length(2 * i - 1));
        await running.shutdown();
        await eventually(() => expect(watcher.lines()).to.have.length(2 * i));
      }
      expect(new Set(watcher.lines())).to.deep.equal(new Set(['600', '-']));
    } finally {
      watcher.child.kill('SIGKILL');
    }
  });

  it('a symlink to a 0600 file swapped in and out of the path while the sidecar starts and stops 30 times: the file never changes', async () => {
    const dir = directory();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'secret', { mode: 0o600 });
    const path = join(dir, 'tapa.sock');
    const swapper = racer(
      `process.stdout.write('racing\\n');
      for (;;) {
        try { fs.symlinkSync(a, b); } catch {}
        try { fs.unlinkSync(b); } catch {}
      }`,
      [victim, path],
    );
    let started = 0;
    try {
      await eventually(() => expect(swapper.lines()).to.deep.equal(['racing']));
      for (let i = 0; i < 30; i++) {
        const running = await sidecar(path, { MERIDIO_SOCKET_MODE: '0777' }).catch((err: unknown) => {
          expect(err).to.be.instanceOf(ConfigError);
          return undefined;
        });
        if (running === undefined) continue;
        started++;
        await running.shutdown();
      }
    } finally {
      swapper.child.kill('SIGKILL');
    }
    expect(started).to.be.greaterThan(0);
    expect(modeOf(victim)).to.equal(0o600);
    expect(readFileSync(victim, 'utf8')).to.equal('secret');
  });

  describe('at shutdown, a path that someone else took since is left as it is', () => {
    it('replaced by their file', async () => {
      const path = join(directory(), 'tapa.sock');
      const running = await sidecar(path);
      unlinkSync(path);
      writeFileSync(path, 'theirs');
      await running.shutdown();
      expect(readFileSync(path, 'utf8')).to.equal('theirs');
    });

    it('replaced by their socket, which keeps serving', async () => {
      const path = join(directory(), 'tapa.sock');
      const running = await sidecar(path);
      unlinkSync(path);
      const server = healthServer();
      const theirs = await serveOn(server, { variable: 'MERIDIO_SOCKET', path });
      try {
        await running.shutdown();
        expect(await check(path)).to.equal('SERVING');
      } finally {
        theirs.close();
        server.forceShutdown();
      }
    });
  });

  it('tapa serve on a regular file: exit 2 with one line on stderr, the file kept', () => {
    const path = join(directory(), 'tapa.sock');
    writeFileSync(path, 'the operator file');
    const { SPIFFE_ENDPOINT_SOCKET: _ignored, ...inherited } = process.env;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/tapa.ts', 'serve', '--plaintext'], {
      cwd: ROOT,
      env: { ...inherited, MERIDIO_SOCKET: path, MERIDIO_HEALTH_SOCKET: '', MERIDIO_NSP_ADDRESS: '127.0.0.1:1' },
      encoding: 'utf8',
    });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.equal(
      `tapa: MERIDIO_SOCKET=${JSON.stringify(path)}: expected a free path or a stale unix socket, found a regular file (left as it is)\n`,
    );
    expect(readFileSync(path, 'utf8')).to.equal('the operator file');
  });

  it('a refused health socket fails the start and leaves no Tap socket behind', async () => {
    const dir = directory();
    writeFileSync(join(dir, 'health.sock'), 'the operator file');
    const err = await sidecar(join(dir, 'tapa.sock'), { MERIDIO_HEALTH_SOCKET: join(dir, 'health.sock') }).then(
      () => expect.fail('started'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/^MERIDIO_HEALTH_SOCKET=".*": expected .*found a regular file/);
    expect(readdirSync(dir)).to.deep.equal(['health.sock']);
    expect(readFileSync(join(dir, 'health.sock'), 'utf8')).to.equal('the operator file');
  });
});
