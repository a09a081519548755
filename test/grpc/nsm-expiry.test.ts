import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { connectionIdentity } from '../../src/core/index.js';
import type { ConnectionEvent } from '../../src/core/wire.js';
import { serverStream, unary } from '../../src/grpc/calls.js';
import { startEmbedded } from '../../src/embedded/embedded.js';
import { MonitorConnectionService } from '../../src/wire/networkservice/connection.js';
import { NetworkServiceService } from '../../src/wire/networkservice/networkservice.js';
import { scratchDir } from '../support/scratch.js';

describe('embedded NSM: expiry', function () {
  this.timeout(20_000);

  it('closes a connection whose client stopped refreshing once its path token ran out, and the monitor reports it deleted', async () => {
    const world = await startEmbedded({ nsmSocket: join(scratchDir('tapa-nsm-'), 'nsm.sock') });
    const client = new grpc.Client(world.nsmAddress, grpc.credentials.createInsecure());
    try {
      const { id, networkService } = connectionIdentity('target-a', 'default', 'trench-a', 'load-balancer-a1');
      const segment = { name: 'tapa', id, token: 't', expires: new Date(Date.now() + 1_000).toISOString(), metrics: {} };
      const deleted = new Promise<ConnectionEvent>((resolve) => {
        serverStream(
          client,
          MonitorConnectionService.monitorConnections,
          { pathSegments: [segment] },
          {},
          (e) => e.type === 'DELETE' && resolve(e),
          () => {},
        );
      });
      const request = {
        connection: {
          id,
          networkService,
          labels: {},
          path: { index: 0, pathSegments: [segment] },
          networkServiceEndpointName: '',
          payload: 'ETHERNET',
          state: 'UP' as const,
        },
        mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL', parameters: {} }],
      };
      await new Promise<void>((resolve, reject) =>
        unary(client, NetworkServiceService.request, request, 5_000, (r) => (r.ok ? resolve() : reject(new Error(r.error.message)))),
      );
      expect(world.nsmCalls.map((c) => c.method)).to.deep.equal(['request']);
      // The client is gone: no refresh comes. The test waits for the event, not for a time.
      expect(Object.keys((await deleted).connections)).to.deep.equal([id]);
      expect(world.nsm.connections()).to.deep.equal([]);
    } finally {
      client.close();
      await world.stop();
    }
  });
});
