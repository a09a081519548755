import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unary } from '../../src/grpc/calls.js';
import { DIALER_PREFIX, DIALER_SOCKET } from '../../src/grpc/fd/left-dialers.js';
import { startEmbedded } from '../../src/embedded/embedded.js';
import { TapService } from '../../src/wire/ambassador/v1/tap.js';
import { TestCa } from '../support/spiffe-ca.js';
import { WorkloadApi } from '../support/workload-api.js';
import { eventually, stream } from './world.js';
import { scratchDir } from '../support/scratch.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('tapa serve as a process', function () {
  this.timeout(60_000);

  it('SIGTERM with open streams: every target unregistered, every NSM connection closed, exit 0', async () => {
    const dir = scratchDir('tapa-proc-');
    const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock') });
    const socket = join(dir, 'tapa.sock');
    const health = join(dir, 'health.sock');
    const { child, output, exited } = serve(['--plaintext'], {
      MERIDIO_SOCKET: socket,
      MERIDIO_HEALTH_SOCKET: health,
      MERIDIO_NSP_ADDRESS: world.nspAddress,
      MERIDIO_NSM_SOCKET: world.nsmAddress,
      MERIDIO_NAME: 'target-a',
      MERIDIO_LOG_LEVEL: 'INFO',
    });
    try {
      await eventually(() => expect(output()).to.contain('serving the Tap API'));
      expect(existsSync(health)).to.equal(true);
      const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
      for (const s of [stream('stream-a1'), stream('stream-a2'), stream('stream-b1', 'load-balancer-b1')]) {
        await new Promise((resolve) => unary(client, TapService.open, s, 5_000, resolve));
      }
      client.close();
      await eventually(() => expect(world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(3));
      expect(world.nsm.connections()).to.have.length(2);
      child.kill('SIGTERM');
      expect(await exited, output()).to.equal(0);
      expect(world.nsp.allTargets()).to.deep.equal([]);
      expect(world.nsm.connections()).to.deep.equal([]);
      expect(output()).to.match(/"outcome":"clean"/);
      expect(existsSync(socket) || existsSync(health), 'a socket file left behind').to.equal(false);
    } finally {
      child.kill('SIGKILL');
      await world.stop();
    }
  });

  it('killed with SIGKILL, leaves its dial directory; the next start removes it, and a clean exit leaves none', async () => {
    const dir = scratchDir('tapa-proc-');
    const temporary = scratchDir('tapa-proc-tmp-');
    const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock') });
    const env = {
      TMPDIR: temporary,
      MERIDIO_SOCKET: join(dir, 'tapa.sock'),
      MERIDIO_NSP_ADDRESS: world.nspAddress,
      MERIDIO_NSM_SOCKET: world.nsmAddress,
      MERIDIO_LOG_LEVEL: 'INFO',
    };
    const dialers = (): string[] => readdirSync(temporary).filter((name) => name.startsWith(DIALER_PREFIX));
    const first = serve(['--plaintext'], env);
    let second: ReturnType<typeof serve> | undefined;
    try {
      await eventually(() => expect(first.output()).to.contain('serving the Tap API'));
      first.child.kill('SIGKILL');
      await first.exited;
      const [left] = dialers();
      expect(left, 'the dial directory of the killed sidecar').to.be.a('string');
      // As if the restart came minutes later: a younger socket may be a dialer starting.
      const then = new Date(Date.now() - 120_000);
      utimesSync(join(temporary, left!, DIALER_SOCKET), then, then);
      second = serve(['--plaintext'], env);
      await eventually(() => expect(second!.output()).to.contain('serving the Tap API'));
      expect(second.output()).to.contain('removed the dial directories of sidecars that were killed');
      expect(dialers()).to.have.length(1).and.not.include(left);
      second.child.kill('SIGTERM');
      expect(await second.exited, second.output()).to.equal(0);
      expect(dialers()).to.deep.equal([]);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await world.stop();
    }
  });

  it('an invalid variable exits 2 with a message naming it', async () => {
    const { output, exited } = serve([], { MERIDIO_TIMEOUT: '15', MERIDIO_SOCKET: join(tmpdir(), 'never.sock') });
    expect(await exited).to.equal(2);
    expect(output()).to.match(/MERIDIO_TIMEOUT="15"/);
  });

  it('without --plaintext and without SPIFFE_ENDPOINT_SOCKET: exit 2, one line naming the variable', async () => {
    const { output, exited } = serve([], { MERIDIO_SOCKET: join(tmpdir(), 'never.sock') });
    expect(await exited).to.equal(2);
    expect(output().trim().split('\n')).to.have.length(1);
    expect(output()).to.match(/^tapa: SPIFFE_ENDPOINT_SOCKET is not set: .*--plaintext/);
  });

  it('mTLS from the start: waits for the Workload API, logging, then serves; an Open reaches ENABLED; SIGTERM exits 0', async () => {
    const dir = scratchDir('tapa-proc-');
    const ca = TestCa.create();
    const server = ca.issue('/meridio/nsp');
    const world = await startEmbedded({
      nsmSocket: join(dir, 'nsm.sock'),
      tls: { trustPem: ca.bundlePem, certPem: server.certPem, keyPem: server.keyPem },
    });
    const agent = join(dir, 'agent.sock');
    const socket = join(dir, 'tapa.sock');
    const { child, output, exited } = serve([], {
      SPIFFE_ENDPOINT_SOCKET: `unix://${agent}`,
      MERIDIO_SOCKET: socket,
      MERIDIO_NSP_ADDRESS: world.nspAddress,
      MERIDIO_NSM_SOCKET: world.nsmAddress,
      MERIDIO_NAME: 'target-a',
      MERIDIO_LOG_LEVEL: 'INFO',
    });
    let api: WorkloadApi | undefined;
    try {
      // No agent yet: the sidecar waits, and says so, as Go's TAPA does.
      await eventually(() => expect(output()).to.contain('waiting for an X.509 SVID from the SPIFFE Workload API'));
      expect(output()).to.not.contain('serving the Tap API');
      const svid = ca.issue('/meridio/tapa');
      api = await WorkloadApi.start(agent, svid, ca.bundleDer);
      await eventually(() => expect(output()).to.contain('serving the Tap API'));
      expect(output()).to.match(/"security":"mtls"/);
      const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
      await new Promise((resolve) => unary(client, TapService.open, stream('stream-a1'), 5_000, resolve));
      client.close();
      await eventually(() => expect(world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(1));
      expect(world.clientSerials.map((c) => c.serial)).to.include(svid.serial);
      child.kill('SIGTERM');
      expect(await exited, output()).to.equal(0);
      expect(world.nsp.allTargets()).to.deep.equal([]);
    } finally {
      child.kill('SIGKILL');
      api?.stop();
      await world.stop();
      ca.dispose();
    }
  });
});

/**
 * `tapa serve ARGS` in a child process, with the test's environment less any SPIFFE socket, plus
 * `env`; no health socket unless `env` names one, since tests run side by side.
 */
function serve(
  args: readonly string[],
  env: Record<string, string>,
): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  const { SPIFFE_ENDPOINT_SOCKET: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/tapa.ts', 'serve', ...args], {
    cwd: ROOT,
    env: { ...inherited, MERIDIO_HEALTH_SOCKET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
