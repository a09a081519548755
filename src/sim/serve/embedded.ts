import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { NsmModel } from '../world/nsm.js';
import { NspModel, type ConduitConfig } from '../world/nsp.js';
import { addNsmServices } from './nsm.js';
import { addNspServices } from './nsp.js';

/** The trench `tapa serve --embedded` offers: Meridio's example, two conduits, three streams. */
export const EXAMPLE_TRENCH = 'trench-a';
export const EXAMPLE_CONDUITS: readonly ConduitConfig[] = [
  {
    name: 'load-balancer-a1',
    streams: [{ name: 'stream-a1', maxTargets: 100 }, { name: 'stream-a2', maxTargets: 100 }],
    flows: [{ name: 'flow-a', stream: 'stream-a1', vips: ['20.0.0.1/32', '2000::1/128'] }],
  },
  {
    name: 'load-balancer-b1',
    streams: [{ name: 'stream-b1', maxTargets: 100 }],
    flows: [{ name: 'flow-b', stream: 'stream-b1', vips: ['20.0.0.1/32', '2000::1/128'] }],
  },
];

export interface EmbeddedWorld {
  /** host:port of the NSP (every trench is served there). */
  readonly nspAddress: string;
  /** unix:// URL of the NSM. */
  readonly nsmAddress: string;
  readonly nsp: NspModel;
  readonly nsm: NsmModel;
  /** Stops the NSP server, restarts its registry ('reload' keeps it, re-armed; 'wipe' forgets it) and serves again on the same port. */
  restartNsp(mode: 'reload' | 'wipe'): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Path of the NSM unix socket. */
  readonly nsmSocket: string;
  readonly trench?: string;
  readonly conduits?: readonly ConduitConfig[];
  readonly entryTimeoutMs?: number;
  readonly faultyProxy?: boolean;
  /** NSP port on 127.0.0.1; 0 picks a free one. */
  readonly nspPort?: number;
}

/** Serves the simulator's NSP and NSM models over real gRPC: NSP on loopback TCP, NSM on a unix socket. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedWorld> {
  const nsp = new NspModel(options.entryTimeoutMs === undefined ? {} : { entryTimeoutMs: options.entryTimeoutMs });
  const nsm = new NsmModel({ faultyProxy: options.faultyProxy ?? false });
  nsp.configure(options.trench ?? EXAMPLE_TRENCH, options.conduits ?? EXAMPLE_CONDUITS);
  let nspServer = new grpc.Server();
  let expiry = addNspServices(nspServer, nsp);
  const nsmServer = new grpc.Server();
  addNsmServices(nsmServer, nsm);
  const port = await bind(nspServer, `127.0.0.1:${options.nspPort ?? 0}`);
  rmSync(options.nsmSocket, { force: true });
  await bind(nsmServer, `unix://${options.nsmSocket}`);
  return {
    nspAddress: `127.0.0.1:${port}`,
    nsmAddress: `unix://${options.nsmSocket}`,
    nsp,
    nsm,
    restartNsp: async (mode) => {
      expiry.close();
      nspServer.forceShutdown();
      nspServer = new grpc.Server();
      expiry = addNspServices(nspServer, nsp);
      // Entries kept by a reload get fresh expiry timers, as the NSP re-arms them on start.
      for (const arming of nsp.restart(mode, Date.now())) expiry.arm(arming);
      await bind(nspServer, `127.0.0.1:${port}`);
    },
    stop: async () => {
      expiry.close();
      nspServer.forceShutdown();
      nsmServer.forceShutdown();
      rmSync(options.nsmSocket, { force: true });
    },
  };
}

export function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}
