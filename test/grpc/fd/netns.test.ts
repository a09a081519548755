import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { closeSync, fstatSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { unary } from '../../../src/grpc/calls.js';
import { loadConfig, type Config } from '../../../src/grpc/config.js';
import { parseDuration } from '../../../src/grpc/duration.js';
import { DescriptorListener } from '../../../src/grpc/fd/listener.js';
import { spiffeSecurity } from '../../../src/grpc/security.js';
import { startSidecar } from '../../../src/grpc/sidecar.js';
import { X509Source } from '../../../src/grpc/spiffe/source.js';
import { startEmbedded, type EmbeddedWorld } from '../../../src/embedded/embedded.js';
import { TapService } from '../../../src/wire/ambassador/v1/tap.js';
import { TestCa } from '../../support/spiffe-ca.js';
import { WorkloadApi } from '../../support/workload-api.js';
import { eventually, stream } from '../world.js';
import { scratchDir } from '../../support/scratch.js';

/** A descriptor's identity as grpcfd names it. */
function inode(fd: number): string {
  const s = fstatSync(fd);
  return `inode://${s.dev}/${s.ino}`;
}

/**
 * Stands between the sidecar and the embedded NSM, on the NSM socket path the sidecar is
 * given: reads with recvmsg, as an NSM manager does, notes which connection each descriptor
 * arrived on, and copies the bytes through.
 */
function interpose(path: string, nsm: string): { received: Map<number, string[]>; close(): void } {
  const received = new Map<number, string[]>();
  let connections = 0;
  const listener = new DescriptorListener(
    path,
    (socket) => {
      const upstream = connect(nsm);
      socket.pipe(upstream).pipe(socket);
      const end = (): void => void (socket.destroy(), upstream.destroy());
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
    (socket, fds) => {
      const id = (socket as unknown as { id?: number }).id ?? ((socket as unknown as { id: number }).id = ++connections);
      received.set(id, [...(received.get(id) ?? []), ...fds.map(inode)]);
      for (const fd of fds) closeSync(fd);
    },
  );
  return { received, close: () => listener.close() };
}

/** A sidecar of the world whose NSM socket is the interposer's. */
function sidecarConfig(dir: string, world: EmbeddedWorld): Config {
  return loadConfig({
    MERIDIO_NAME: 'target-a',
    MERIDIO_SOCKET: join(dir, 'tapa.sock'),
    MERIDIO_HEALTH_SOCKET: '',
    MERIDIO_NSP_ADDRESS: world.nspAddress,
    MERIDIO_NSM_SOCKET: `unix://${join(dir, 'nsmgr.sock')}`,
    MERIDIO_NSP_ENTRY_TIMEOUT: '1s',
    MERIDIO_TIMEOUT: '3s',
  });
}

function tapCalls(config: Config): { call(method: 'open' | 'close'): Promise<boolean>; close(): void } {
  const client = new grpc.Client(`unix://${config.socket}`, grpc.credentials.createInsecure());
  return {
    call: (method) => new Promise((resolve) => unary(client, TapService[method], stream('stream-a1'), 5_000, (r) => resolve(r.ok))),
    close: () => client.close(),
  };
}

function ourNamespace(): string {
  const mine = statSync('/proc/self/ns/net');
  return `inode://${mine.dev}/${mine.ino}`;
}

describe('the pod network namespace handed to NSM (issue 13, item 2)', function () {
  this.timeout(60_000);

  it('every Request and Close carries inode://DEV/INO of /proc/self/ns/net, and that descriptor arrives on the connection of the call', async () => {
    const dir = scratchDir('tapa-netns-');
    const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock'), entryTimeoutMs: 2_000 });
    const nsm = interpose(join(dir, 'nsmgr.sock'), join(dir, 'nsm.sock'));
    const config = sidecarConfig(dir, world);
    const sidecar = await startSidecar(config, pino({ level: 'silent' }));
    const tap = tapCalls(config);
    try {
      const url = ourNamespace();
      expect(await tap.call('open')).to.equal(true);
      await eventually(() => expect(world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(1));
      const id = world.nsmCalls.find((c) => c.method === 'request')!.connectionId;
      expect(world.nsm.peek(id)?.mechanism?.parameters['inodeURL']).to.equal(url);
      expect(await tap.call('close')).to.equal(true);
      await eventually(() => expect(world.nsmCalls.some((c) => c.method === 'close')).to.equal(true));
      // One connection from the sidecar carried its calls; our namespace went on it, once for
      // the connection and once for every Request and Close.
      const calls = world.nsmCalls.length;
      expect([...nsm.received.values()]).to.have.length(1);
      const sent = [...nsm.received.values()][0]!;
      expect(new Set(sent)).to.deep.equal(new Set([url]));
      expect(sent.length).to.be.at.least(1 + calls);
    } finally {
      tap.close();
      await sidecar.shutdown();
      nsm.close();
      await world.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after an SVID rotation, the Close and the Request go out on a new NSM connection, and the namespace goes with them there', async () => {
    const dir = scratchDir('tapa-netns-');
    const ca = TestCa.create();
    const server = ca.issue('/meridio/nsp');
    const tls = { trustPem: ca.bundlePem, certPem: server.certPem, keyPem: server.keyPem };
    const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock'), entryTimeoutMs: 2_000, tls });
    const nsm = interpose(join(dir, 'nsmgr.sock'), join(dir, 'nsm.sock'));
    const api = await WorkloadApi.start(join(dir, 'agent.sock'), ca.issue('/meridio/tapa'), ca.bundleDer);
    const log = pino({ level: 'silent' });
    const source = new X509Source(api.target, log);
    const config = sidecarConfig(dir, world);
    const sidecar = await startSidecar(config, log, spiffeSecurity(source, await source.first(), parseDuration('24h')));
    const tap = tapCalls(config);
    try {
      const url = ourNamespace();
      expect(await tap.call('open')).to.equal(true);
      await eventually(() => expect(world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(1));
      const before = new Set(nsm.received.keys());
      const rotated = new Promise<void>((resolve) => source.onRotation(() => resolve()));
      const next = ca.issue('/meridio/tapa');
      api.rotate(next, ca.bundleDer);
      await rotated;
      const callsBefore = world.nsmCalls.length;
      expect(await tap.call('close')).to.equal(true);
      await eventually(() => expect(world.nsmCalls.slice(callsBefore).map((c) => c.method)).to.include('close'));
      expect(await tap.call('open')).to.equal(true);
      await eventually(() => expect(world.nsmCalls.slice(callsBefore).map((c) => c.method)).to.include('request'));
      const callsAfter = world.nsmCalls.length - callsBefore;
      // Both calls went out under the new certificate: on a new TLS connection, so a new one to NSM.
      const nsmCalls = world.clientSerials.filter((c) => /NetworkService\/(Request|Close)$/.test(c.method));
      expect(nsmCalls.slice(-callsAfter).map((c) => c.serial)).to.deep.equal(nsmCalls.slice(-callsAfter).map(() => next.serial));
      const fresh = [...nsm.received.entries()].filter(([connection]) => !before.has(connection));
      expect(fresh, 'NSM connections opened after the rotation').to.have.length(1);
      const [, sent] = fresh[0]!;
      expect(new Set(sent)).to.deep.equal(new Set([url]));
      // One with the connection, one with every call after the first.
      expect(sent.length).to.be.at.least(callsAfter);
    } finally {
      tap.close();
      await sidecar.shutdown();
      source.close();
      api.stop();
      nsm.close();
      await world.stop();
      ca.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
