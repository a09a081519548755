import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { SpiffeWorkloadAPIService, type X509SVIDResponse } from '../../src/wire/spiffe/workload/workload.js';
import type { IssuedSvid } from './spiffe-ca.js';

type Stream = grpc.ServerWritableStream<unknown, X509SVIDResponse>;

/**
 * A SPIFFE Workload API for tests, on a unix socket, like a SPIRE agent: it streams the
 * current X.509 SVID to every FetchX509SVID caller and pushes each rotation to all.
 */
export class WorkloadApi {
  private readonly streams = new Set<Stream>();
  private current: X509SVIDResponse;

  private constructor(
    private readonly server: grpc.Server,
    readonly socket: string,
    svid: IssuedSvid,
    bundleDer: Buffer,
  ) {
    this.current = response(svid, bundleDer);
  }

  static async start(socket: string, svid: IssuedSvid, bundleDer: Buffer): Promise<WorkloadApi> {
    const server = new grpc.Server();
    const api = new WorkloadApi(server, socket, svid, bundleDer);
    server.addService(SpiffeWorkloadAPIService, {
      fetchX509Svid: (call: Stream) => {
        // Agents refuse callers that do not say they mean the Workload API.
        if (call.metadata.get('workload.spiffe.io')[0] !== 'true') {
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
          return;
        }
        api.streams.add(call);
        call.on('cancelled', () => api.streams.delete(call));
        call.write(api.current);
      },
      fetchX509Bundles: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not served' });
      },
    });
    rmSync(socket, { force: true });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    return api;
  }

  get target(): string {
    return `unix://${this.socket}`;
  }

  /** Hands every caller a new SVID, as the agent does before the old one expires. */
  rotate(svid: IssuedSvid, bundleDer: Buffer): void {
    this.current = response(svid, bundleDer);
    for (const s of this.streams) s.write(this.current);
  }

  stop(): void {
    this.server.forceShutdown();
    rmSync(this.socket, { force: true });
  }
}

function response(svid: IssuedSvid, bundleDer: Buffer): X509SVIDResponse {
  return {
    svids: [{ spiffeId: svid.spiffeId, x509Svid: svid.chainDer, x509SvidKey: svid.keyDer, bundle: bundleDer, hint: '' }],
    crl: [],
    federatedBundles: {},
  };
}
