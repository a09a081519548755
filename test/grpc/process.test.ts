import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unary } from '../../src/grpc/calls.js';
import { startEmbedded } from '../../src/sim/serve/embedded.js';
import { TapService } from '../../src/wire/ambassador/v1/tap.js';
import { eventually, stream } from './world.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('tapa serve as a process', function () {
  this.timeout(60_000);

  it('SIGTERM with open streams: every target unregistered, every NSM connection closed, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapa-proc-'));
    const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock') });
    const socket = join(dir, 'tapa.sock');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/grpc/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...process.env, MERIDIO_SOCKET: socket, MERIDIO_NSP_ADDRESS: world.nspAddress, MERIDIO_NSM_SOCKET: world.nsmAddress, MERIDIO_NAME: 'target-a', MERIDIO_LOG_LEVEL: 'INFO' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => expect(output).to.contain('serving the Tap API'));
      const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
      for (const s of [stream('stream-a1'), stream('stream-a2'), stream('stream-b1', 'load-balancer-b1')]) {
        await new Promise((resolve) => unary(client, TapService.open, s, 5_000, resolve));
      }
      client.close();
      await eventually(() => expect(world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(3));
      expect(world.nsm.connections()).to.have.length(2);
      child.kill('SIGTERM');
      expect(await exited, output).to.equal(0);
      expect(world.nsp.allTargets()).to.deep.equal([]);
      expect(world.nsm.connections()).to.deep.equal([]);
      expect(output).to.match(/"outcome":"clean"/);
    } finally {
      child.kill('SIGKILL');
      await world.stop();
    }
  });

  it('an invalid variable exits 2 with a message naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/grpc/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...process.env, MERIDIO_TIMEOUT: '15', MERIDIO_SOCKET: join(tmpdir(), 'never.sock') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).to.equal(2);
    expect(err).to.match(/MERIDIO_TIMEOUT="15"/);
  });
});
