import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unary } from '../../src/grpc/calls.js';
import { TapService } from '../../src/wire/ambassador/v1/tap.js';
import { eventually, stream } from './world.js';
import { scratchDir } from '../support/scratch.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INSPECTOR_PORT = 9229;

/** The TCP ports process `pid` listens on: its socket inodes matched against /proc/net/tcp and tcp6. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket) inodes.add(socket[1]!);
    } catch {
      // Closed between the listing and the read.
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // Columns: sl, local address, remote address, st (0A is LISTEN), ..., inode (the tenth).
      if (cols[3] === '0A' && inodes.has(cols[9] ?? '')) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

describe('tapa serve: SIGUSR1 and SIGUSR2 as the Go TAPA has them', function () {
  this.timeout(60_000);

  it('SIGUSR2 sets TRACE, SIGUSR1 the configured level; the sidecar keeps serving and no inspector or other port opens', async () => {
    const dir = scratchDir('tapa-signals-');
    const socket = join(dir, 'tapa.sock');
    const { SPIFFE_ENDPOINT_SOCKET: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/tapa.ts', 'serve', '--embedded'], {
      cwd: ROOT,
      env: { ...inherited, MERIDIO_SOCKET: socket, MERIDIO_HEALTH_SOCKET: '', MERIDIO_NAME: 'target-a', MERIDIO_LOG_LEVEL: 'INFO' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
    const open = (name: string): Promise<boolean> =>
      new Promise((resolve) => unary(client, TapService.open, stream(name), 10_000, (r) => resolve(r.ok)));
    try {
      await eventually(() => expect(output).to.contain('serving the Tap API'), 30_000);
      const pid = child.pid!;
      const before = listeningPorts(pid);
      expect(before).to.not.include(INSPECTOR_PORT);

      child.kill('SIGUSR2');
      await eventually(() => expect(output).to.contain('"message":"log level changed to TRACE"'));
      expect(await open('stream-a1')).to.equal(true);
      // Trace lines are written as severity debug, as Go does.
      await eventually(() => expect(output).to.match(/"severity":"debug"/));

      child.kill('SIGUSR1');
      await eventually(() => expect(output).to.contain('"message":"log level changed to INFO"'));
      const quiet = output.length;
      expect(await open('stream-a2')).to.equal(true);

      expect(child.exitCode).to.equal(null);
      expect(listeningPorts(pid)).to.deep.equal(before);
      expect(output).to.not.contain('Debugger listening');
      expect(output.slice(quiet)).to.not.match(/"severity":"debug"/);
      child.kill('SIGTERM');
      expect(await exited, output).to.equal(0);
    } finally {
      client.close();
      child.kill('SIGKILL');
    }
  });
});
