import * as grpc from '@grpc/grpc-js';
import type { ServerInterceptor } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { spiffeIdOf } from '../grpc/spiffe/svid.js';
import { newServer } from '../grpc/server-options.js';
import { NsmModel } from '../sim/world/nsm.js';
import { NspModel, type ConduitConfig } from '../sim/world/nsp.js';
import { addNsmServices, type NsmCall } from './nsm.js';
import { addNspServices } from './nsp.js';

/** The trench `tapa serve --embedded` offers: Meridio's example, two conduits, three streams. */
export const EXAMPLE_TRENCH = 'trench-a';
export const EXAMPLE_CONDUITS: readonly ConduitConfig[] = [
  {
    name: 'load-balancer-a1',
    streams: [
      { name: 'stream-a1', maxTargets: 100 },
      { name: 'stream-a2', maxTargets: 100 },
    ],
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
  /** Ends every NSM monitor stream with UNAVAILABLE, as a restarting NSMgr does; returns how many there were. */
  cutNsmMonitors(): number;
  /** NSM Requests and Closes accepted so far, oldest first. */
  readonly nsmCalls: readonly NsmCall[];
  /** With TLS: the serial of the client certificate of every call to NSP or NSM, in order. */
  readonly clientSerials: readonly { readonly method: string; readonly serial: string }[];
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
  /** Serve with mTLS instead of plaintext, and have NSM check client tokens. */
  readonly tls?: EmbeddedTls;
}

/** mTLS for the embedded servers, as a Meridio cluster's NSP and NSMgr have it (PEM). */
export interface EmbeddedTls {
  /** The CAs that client certificates must chain to. */
  readonly trustPem: string;
  /** The servers' own certificate (chain) and key. */
  readonly certPem: string;
  readonly keyPem: string;
}

/** Serves the simulator's NSP and NSM models over real gRPC: NSP on loopback TCP, NSM on a unix socket. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedWorld> {
  const nsp = new NspModel(options.entryTimeoutMs === undefined ? {} : { entryTimeoutMs: options.entryTimeoutMs });
  const nsm = new NsmModel({ faultyProxy: options.faultyProxy ?? false });
  nsp.configure(options.trench ?? EXAMPLE_TRENCH, options.conduits ?? EXAMPLE_CONDUITS);
  const tls = options.tls;
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(
        Buffer.from(tls.trustPem),
        [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }],
        true,
      )
    : grpc.ServerCredentials.createInsecure();
  const clientSerials: { method: string; serial: string }[] = [];
  const nsmCalls: NsmCall[] = [];
  // Who called, by certificate: what tests of SVID rotation look at.
  const recordPeer: ServerInterceptor = (method, call) => {
    const serial = call.getAuthContext().sslPeerCertificate?.serialNumber;
    if (serial) clientSerials.push({ method: method.path, serial });
    return new grpc.ServerInterceptingCall(call);
  };
  const server = (): grpc.Server => newServer({ interceptors: [recordPeer] });
  let nspServer = server();
  let expiry = addNspServices(nspServer, nsp);
  const nsmServer = server();
  // Tokens are addressed to the manager's SPIFFE ID, as NSMgr's policies want.
  const tokensFor = tls ? spiffeIdOf(new X509Certificate(tls.certPem).subjectAltName) : undefined;
  if (tls && tokensFor === undefined) throw new Error("the embedded servers' certificate has no SPIFFE ID");
  const monitors = addNsmServices(nsmServer, nsm, { tokensFor, record: (call) => void nsmCalls.push(call) });
  // With TLS, a name rather than an IP address: TLS clients send it as the server name.
  const host = tls ? 'localhost' : '127.0.0.1';
  const port = await bind(nspServer, `${host}:${options.nspPort ?? 0}`, credentials);
  rmSync(options.nsmSocket, { force: true });
  await bind(nsmServer, `unix://${options.nsmSocket}`, credentials);
  return {
    nspAddress: `${host}:${port}`,
    nsmAddress: `unix://${options.nsmSocket}`,
    nsp,
    nsm,
    nsmCalls,
    cutNsmMonitors: () => monitors.cutMonitors(),
    clientSerials,
    restartNsp: async (mode) => {
      expiry.close();
      nspServer.forceShutdown();
      nspServer = server();
      expiry = addNspServices(nspServer, nsp);
      // Entries kept by a reload get fresh expiry timers, as the NSP re-arms them on start.
      for (const arming of nsp.restart(mode, Date.now())) expiry.arm(arming);
      await bind(nspServer, `${host}:${port}`, credentials);
    },
    stop: async () => {
      expiry.close();
      nspServer.forceShutdown();
      nsmServer.forceShutdown();
      rmSync(options.nsmSocket, { force: true });
    },
  };
}

export function bind(server: grpc.Server, address: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}
