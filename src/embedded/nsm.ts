import * as grpc from '@grpc/grpc-js';
import { MonitorConnectionService, type MonitorConnectionServer } from '../wire/networkservice/connection.js';
import { NetworkServiceService, type NetworkServiceServer } from '../wire/networkservice/networkservice.js';
import type { Connection } from '../wire/networkservice/connection.js';
import type { NsmModel } from '../sim/world/nsm.js';
import { toStatus } from './nsp.js';
import { clientSegment, tokenProblem } from './token-check.js';

type Call = grpc.ServerUnaryCall<unknown, unknown>;

/**
 * With mTLS, NSMgr only serves requests whose path segment and call headers carry a
 * valid token of the client (see token-check.ts); `refusal` says why one does not.
 */
async function refusal(call: Call, connection: Connection | undefined, audience: string): Promise<string | undefined> {
  const own = clientSegment(connection);
  if (typeof own === 'string') return own;
  const peer = call.getAuthContext().sslPeerCertificate;
  const inPath = await tokenProblem(own.token, peer, audience, Date.now());
  if (inPath) return `path token: ${inPath}`;
  const header = call.metadata.get('nsm-client-token')[0];
  const inHeader = await tokenProblem(typeof header === 'string' ? header : undefined, peer, audience, Date.now());
  return inHeader && `call token: ${inHeader}`;
}

/** A Request or Close that NSM accepted, for tests to follow refreshes. */
export interface NsmCall {
  readonly method: 'request' | 'close';
  readonly connectionId: string;
  readonly atMs: number;
  /** The expiry the client gave its token, if any. */
  readonly expires: string | undefined;
}

/**
 * The simulator's NSM model served over real gRPC (embedded mode and integration
 * tests). `tokensFor`: refuse calls without a valid client token addressed to this SPIFFE ID
 * (mTLS only; undefined: no check). Like
 * NSMgr, it closes a connection whose path token runs out without a refresh.
 */
export function addNsmServices(
  server: grpc.Server,
  nsm: NsmModel,
  options: { tokensFor: string | undefined; record(call: NsmCall): void },
): { cutMonitors(): number } {
  const monitors = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  const expiries = new Map<string, NodeJS.Timeout>();
  const expireLater = (id: string): void => {
    clearTimeout(expiries.get(id));
    expiries.delete(id);
    const at = nsm.expiresAt(id);
    if (at === undefined) return;
    const timer = setTimeout(
      () => {
        expiries.delete(id);
        // A timer may fire a little before the clock reads its time; it looks again then.
        if (!nsm.expire(id, Date.now()) && nsm.connection(id)) expireLater(id);
      },
      Math.max(0, at - Date.now()),
    );
    // A pending expiry must not keep a stopping process alive.
    timer.unref();
    expiries.set(id, timer);
  };
  const guard = async (
    call: Call,
    method: NsmCall['method'],
    connection: Connection | undefined,
  ): Promise<grpc.ServiceError | undefined> => {
    const why = options.tokensFor === undefined ? undefined : await refusal(call, connection, options.tokensFor);
    if (why) return Object.assign(new Error(why), { code: grpc.status.PERMISSION_DENIED, details: why, metadata: new grpc.Metadata() });
    const path = connection?.path;
    options.record({ method, connectionId: connection?.id ?? '', atMs: Date.now(), expires: path?.pathSegments[path.index]?.expires });
    return undefined;
  };
  const network: NetworkServiceServer = {
    request: async (call, callback) => {
      const refused = await guard(call, 'request', call.request.connection);
      if (refused) return callback(refused, null);
      try {
        // The answer's path is the client's segment as it sent it, then NSMgr's: the client
        // finds its segment, and the expiry of its token, where it put them.
        const answer = nsm.request(call.request);
        expireLater(answer.id);
        callback(null, answer);
      } catch (err) {
        callback(toStatus(err), null);
      }
    },
    close: async (call, callback) => {
      const refused = await guard(call, 'close', call.request);
      if (refused) return callback(refused, null);
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
      const gone = (): void => {
        unsubscribe();
        monitors.delete(call);
      };
      call.on('cancelled', gone);
      call.on('close', gone);
      monitors.add(call);
      call.write(nsm.snapshot(call.request));
    },
  };
  server.addService(NetworkServiceService, network);
  server.addService(MonitorConnectionService, monitor);
  return {
    // As when NSMgr restarts: every monitor stream ends with UNAVAILABLE; the server goes on serving.
    cutMonitors: () => {
      const cut = monitors.size;
      for (const call of [...monitors]) {
        monitors.delete(call);
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the monitor stream was cut' });
      }
      return cut;
    },
  };
}
