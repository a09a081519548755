import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unary } from '../../../src/grpc/calls.js';
import { DescriptorDialer } from '../../../src/grpc/fd/dialer.js';
import { DescriptorListener } from '../../../src/grpc/fd/listener.js';
import type { DescriptorSocket } from '../../../src/grpc/fd/socket.js';
import { HealthCheck } from '../../../src/grpc/health.js';
import { scratchDir } from '../../support/scratch.js';

const CHILD = fileURLToPath(new URL('./child-netns.ts', import.meta.url));

/** A descriptor's identity as grpcfd names it: inode://dev/ino. */
function inode(fd: number): string {
  const s = fstatSync(fd);
  return `inode://${s.dev}/${s.ino}`;
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) closeSync(fd);
}

/** What a peer received on each connection, in order: descriptors (as inode URLs) and bytes. */
class Peer {
  readonly arrivals = new Map<DescriptorSocket, string[]>();
  readonly listener: DescriptorListener;
  private waiting: (() => void) | undefined;

  constructor(path: string, connection: (s: DescriptorSocket) => void = (s) => this.echo(s)) {
    this.listener = new DescriptorListener(
      path,
      (socket) => {
        this.arrivals.set(socket, []);
        connection(socket);
      },
      (socket, fds) => {
        this.arrivals.get(socket)?.push(...fds.map(inode));
        closeAll(fds);
        this.waiting?.();
      },
    );
  }

  /** Resolves once a descriptor has arrived on some connection. */
  descriptor(): Promise<void> {
    if ([...this.arrivals.values()].some((a) => a.some((x) => x.startsWith('inode:')))) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private echo(socket: DescriptorSocket): void {
    socket.on('data', (data: Buffer) => {
      this.arrivals.get(socket)?.push(`bytes:${data.toString()}`);
      socket.write(data);
    });
  }
}

function read(socket: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
}

describe('file descriptors over unix sockets (the unixfd addon)', () => {
  let dir: string;
  let netns: number;
  beforeEach(() => {
    dir = scratchDir('tapa-fd-');
    netns = openSync('/proc/thread-self/ns/net', 'r');
  });
  afterEach(() => {
    closeSync(netns);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the network namespace with the first byte of every connection, and again after resend()', async () => {
    const peer = new Peer(join(dir, 'nsm.sock'));
    const dialer = await DescriptorDialer.start(join(dir, 'nsm.sock'), () => [netns]);
    const { connect } = await import('node:net');
    const client = connect(dialer.address.slice('unix://'.length));
    client.write('request');
    expect(await read(client)).to.equal('request');
    dialer.resend();
    client.write('close');
    expect(await read(client)).to.equal('close');
    client.destroy();
    dialer.close();
    peer.listener.close();

    const mine = inode(netns);
    expect(mine).to.equal(`inode://${statSync('/proc/self/ns/net').dev}/${statSync('/proc/self/ns/net').ino}`);
    expect([...peer.arrivals.values()]).to.deep.equal([[mine, 'bytes:request', mine, 'bytes:close']]);
  });

  it('carries a grpc-js call, the descriptor arriving on the connection of the call before the call is handled', async () => {
    const server = new grpc.Server();
    const seenBeforeCall: string[][] = [];
    const health = new HealthImplementation({ '': 'SERVING' });
    health.addToServer(server);
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const peer = new Peer(join(dir, 'nsm.sock'), (socket) => injector.injectConnection(socket));
    const dialer = await DescriptorDialer.start(join(dir, 'nsm.sock'), () => [netns]);
    const client = new grpc.Client(dialer.address, grpc.credentials.createInsecure());
    const status = await new Promise<string>((resolve) =>
      unary(client, HealthCheck, { service: '' }, 5_000, (r) => {
        seenBeforeCall.push(...peer.arrivals.values());
        resolve(r.ok ? r.value.status : r.error.code);
      }),
    );
    client.close();
    dialer.close();
    peer.listener.close();
    server.forceShutdown();
    expect(status).to.equal('SERVING');
    expect(seenBeforeCall).to.deep.equal([[inode(netns)]]);
  });

  it('hands over the namespace of the process that sent it, not the receiver’s (unshare -n)', async function () {
    if (spawnSync('unshare', ['-n', 'true']).status !== 0) this.skip(); // needs root, as on CI
    const peer = new Peer(join(dir, 'nsm.sock'), (socket) => socket.resume());
    const child = spawn('unshare', ['-n', process.execPath, '--import', 'tsx', CHILD, join(dir, 'nsm.sock')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`the child exited (${code})`))));
    await Promise.race([peer.descriptor(), exited]);
    // The child is node itself: unshare execs it in the new namespace.
    const theirs = readlinkSync(`/proc/${child.pid}/ns/net`);
    child.kill();
    peer.listener.close();
    const received = [...peer.arrivals.values()].flat();
    expect(received).to.have.length(1);
    expect(theirs).to.not.equal(readlinkSync('/proc/self/ns/net'));
    expect(received[0]).to.match(new RegExp(`/${theirs.replace(/\D/g, '')}$`));
  });
});
