import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { closeSync, fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { unary } from '../../../src/grpc/calls.js';
import { loadConfig } from '../../../src/grpc/config.js';
import { DescriptorListener } from '../../../src/grpc/fd/listener.js';
import { startSidecar } from '../../../src/grpc/sidecar.js';
import { startEmbedded } from '../../../src/embedded/embedded.js';
import { TapService } from '../../../src/wire/ambassador/v1/tap.js';
import { eventually, stream } from '../world.js';

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

describe('the pod network namespace handed to NSM (issue 13, item 2)', function () {
  this.timeout(60_000);

  it('every Request and Close carries inode://DEV/INO of /proc/self/ns/net, and that descriptor arrives on the connection of the call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapa-netns-'));
    const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock'), entryTimeoutMs: 2_000 });
    const nsm = interpose(join(dir, 'nsmgr.sock'), join(dir, 'nsm.sock'));
    const config = loadConfig({
      MERIDIO_NAME: 'target-a',
      MERIDIO_SOCKET: join(dir, 'tapa.sock'),
      MERIDIO_HEALTH_SOCKET: '',
      MERIDIO_NSP_ADDRESS: world.nspAddress,
      MERIDIO_NSM_SOCKET: `unix://${join(dir, 'nsmgr.sock')}`,
      MERIDIO_NSP_ENTRY_TIMEOUT: '1s',
      MERIDIO_TIMEOUT: '3s',
    });
    const sidecar = await startSidecar(config, pino({ level: 'silent' }));
    const client = new grpc.Client(`unix://${config.socket}`, grpc.credentials.createInsecure());
    const call = (method: 'open' | 'close'): Promise<boolean> =>
      new Promise((resolve) => unary(client, TapService[method], stream('stream-a1'), 5_000, (r) => resolve(r.ok)));
    try {
      const mine = statSync('/proc/self/ns/net');
      const url = `inode://${mine.dev}/${mine.ino}`;
      expect(await call('open')).to.equal(true);
      await eventually(() => expect(world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(1));
      const id = world.nsmCalls.find((c) => c.method === 'request')!.connectionId;
      expect(world.nsm.peek(id)?.mechanism?.parameters['inodeURL']).to.equal(url);
      expect(await call('close')).to.equal(true);
      await eventually(() => expect(world.nsmCalls.some((c) => c.method === 'close')).to.equal(true));
      // One connection from the sidecar carried its calls; our namespace went on it, once for
      // the connection and once for every Request and Close.
      const calls = world.nsmCalls.length;
      expect([...nsm.received.values()]).to.have.length(1);
      const sent = [...nsm.received.values()][0]!;
      expect(new Set(sent)).to.deep.equal(new Set([url]));
      expect(sent.length).to.be.at.least(1 + calls);
    } finally {
      client.close();
      await sidecar.shutdown();
      nsm.close();
      await world.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
