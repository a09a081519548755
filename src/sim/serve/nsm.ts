import * as grpc from '@grpc/grpc-js';
import { MonitorConnectionService, type MonitorConnectionServer } from '../../wire/networkservice/connection.js';
import { NetworkServiceService, type NetworkServiceServer } from '../../wire/networkservice/networkservice.js';
import type { NsmModel } from '../world/nsm.js';
import { toStatus } from './nsp.js';

/** The simulator's NSM model served over real gRPC (embedded mode and integration tests). */
export function addNsmServices(server: grpc.Server, nsm: NsmModel): void {
  const network: NetworkServiceServer = {
    request: (call, callback) => {
      try {
        callback(null, nsm.request(call.request));
      } catch (err) {
        callback(toStatus(err), null);
      }
    },
    close: (call, callback) => {
      try {
        nsm.close(call.request);
        callback(null, {});
      } catch (err) {
        callback(toStatus(err), null);
      }
    },
  };
  const monitor: MonitorConnectionServer = {
    monitorConnections: (call) => {
      const ids = new Set(call.request.pathSegments.map((p) => p.id));
      const unsubscribe = nsm.onEvent((event) => {
        const mine = Object.entries(event.connections).filter(([id]) => ids.has(id));
        if (mine.length > 0) call.write({ ...event, connections: Object.fromEntries(mine) });
      });
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
      call.write(nsm.snapshot(call.request));
    },
  };
  server.addService(NetworkServiceService, network);
  server.addService(MonitorConnectionService, monitor);
}
