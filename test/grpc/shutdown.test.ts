import { expect } from 'chai';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { startEmbedded, type EmbeddedWorld } from '../../src/embedded/embedded.js';
import { loadConfig } from '../../src/grpc/config.js';
import { startSidecar, type Sidecar } from '../../src/grpc/sidecar.js';
import { eventually, stream } from './world.js';
import * as grpc from '@grpc/grpc-js';
import { unary } from '../../src/grpc/calls.js';
import { TapService } from '../../src/wire/ambassador/v1/tap.js';
import { scratchDir } from '../support/scratch.js';

/**
 * A TCP relay in front of the NSP, so that a test can make the NSP hang (bytes are no
 * longer passed on, connections stay open) or vanish (every connection reset, new ones
 * refused), as a partitioned or crashed NSP would look to the sidecar.
 */
class NspRelay {
  private readonly sockets = new Set<Socket>();
  private frozen = false;

  private constructor(private readonly server: Server) {}

  static async start(upstream: string): Promise<{ relay: NspRelay; address: string }> {
    const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
    let relay: NspRelay | undefined;
    const server = createServer((client) => {
      const nsp = createConnection({ host, port });
      for (const [from, to] of [
        [client, nsp],
        [nsp, client],
      ] as const) {
        relay!.sockets.add(from);
        from.on('data', (chunk: Buffer) => void (relay!.frozen || to.write(chunk)));
        from.on('error', () => to.destroy());
        from.on('close', () => {
          relay!.sockets.delete(from);
          to.destroy();
        });
      }
    });
    relay = new NspRelay(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port: own } = server.address() as { port: number };
    return { relay, address: `127.0.0.1:${own}` };
  }

  /** Nothing passes any more; connections stay open and calls hang. */
  freeze(): void {
    this.frozen = true;
  }

  /** Every connection is reset and new ones are refused. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface Setup {
  readonly world: EmbeddedWorld;
  readonly relay: NspRelay;
  readonly sidecar: Sidecar;
  readonly client: grpc.Client;
}

async function setup(): Promise<Setup> {
  const dir = scratchDir('tapa-shutdown-');
  const world = await startEmbedded({ nsmSocket: join(dir, 'nsm.sock') });
  const { relay, address } = await NspRelay.start(world.nspAddress);
  const socket = join(dir, 'tapa.sock');
  const env = {
    MERIDIO_NAME: 'target-a',
    MERIDIO_NODE: 'worker-1',
    MERIDIO_SOCKET: socket,
    MERIDIO_HEALTH_SOCKET: join(dir, 'health.sock'),
    MERIDIO_NSP_ADDRESS: address,
    MERIDIO_NSM_SOCKET: world.nsmAddress,
    MERIDIO_TIMEOUT: '3s',
    MERIDIO_GRPC_MAX_BACKOFF: '200ms',
    MERIDIO_LOG_LEVEL: 'ERROR',
  };
  const sidecar = await startSidecar(loadConfig(env), pino({ level: 'silent' }));
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  return { world, relay, sidecar, client };
}

const OUTAGES: Record<string, (s: Setup) => Promise<void> | void> = {
  'failing (UNAVAILABLE)': (s) => void (s.world.nsp.available = false),
  'hanging (no bytes pass)': (s) => s.relay.freeze(),
  'unreachable (connections reset, new ones refused)': (s) => s.relay.close(),
};

describe('sidecar shutdown with the NSP down, over real gRPC (issue 16, item 6)', function () {
  this.timeout(60_000);

  for (const [outage, down] of Object.entries(OUTAGES)) {
    it(`NSP ${outage}: every NSM connection is closed, and the shutdown ends by itself within MERIDIO_TIMEOUT`, async () => {
      const s = await setup();
      try {
        for (const [name, conduit] of [
          ['stream-a1', 'load-balancer-a1'],
          ['stream-a2', 'load-balancer-a1'],
          ['stream-b1', 'load-balancer-b1'],
        ] as const) {
          await new Promise<void>((resolve, reject) =>
            unary(s.client, TapService.open, stream(name, conduit), 5_000, (r) => (r.ok ? resolve() : reject(new Error(r.error.message)))),
          );
        }
        await eventually(() => {
          expect(s.world.nsp.allTargets().filter((t) => t.status === 'ENABLED')).to.have.length(3);
          expect(s.world.nsm.connections()).to.have.length(2);
        });
        await down(s);
        // 'clean': the core finished (or gave up at its share of MERIDIO_TIMEOUT) before the sidecar's own bound.
        expect(await s.sidecar.shutdown()).to.equal('clean');
        expect(s.world.nsm.connections()).to.deep.equal([]);
      } finally {
        s.client.close();
        await s.relay.close().catch(() => undefined);
        await s.world.stop();
      }
    });
  }
});
