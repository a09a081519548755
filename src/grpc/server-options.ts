import * as grpc from '@grpc/grpc-js';
import { constants, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';

/**
 * A connection is retired once its client has reset this many streams on it: half of Node's
 * reset budget, so that the streams the client has already sent when it reads the GOAWAY
 * still fit in the other half.
 */
export const RETIRE_AFTER_RESETS = 500;

/** What grpc-js builds each HTTP/2 server with (one per bound address or connection injector). */
interface Http2Factory {
  createHttp2Server(credentials: grpc.ServerCredentials): Http2Server;
}

/**
 * A gRPC server as every one we run must be (the Tap API, and the embedded NSP and NSM, which
 * must behave like the real ones): a client that cancels streams at any steady rate keeps being
 * served, and a burst of calls on one connection is never refused.
 *
 * Node's HTTP/2 layer (nghttp2 >= 1.57, the "rapid reset" defence) keeps a bucket per connection
 * for RST_STREAM frames received: 1,000, refilled 33 a second; empty, it ends the connection with
 * GOAWAY INTERNAL_ERROR and every call on it fails. A client cancels each Watch with one
 * RST_STREAM, so one that re-watches faster than 33 times a second was cut after about 1,000.
 * The knobs (`streamResetBurst`, `streamResetRate`) exist only from Node 22.11 and grpc-js does
 * not pass them on; Go's gRPC server has no such limit.
 *
 * So a connection whose client has reset RETIRE_AFTER_RESETS streams is retired: GOAWAY NO_ERROR
 * naming the last stream received, and nothing else. The client opens its next calls on a new
 * connection with a full bucket, while everything it already sent on the old one, long Watches
 * included, is served there to the end. An abusive client that ignores the GOAWAY and keeps
 * resetting still meets Node's limit.
 *
 * Measured before this, with grpc-js' `grpc.max_connection_age_ms` at 2 s instead: 5,906 of
 * 10,000 Tap.Opens sent at once on one connection failed UNAVAILABLE "Stream refused by server"
 * (test/grpc/burst.test.ts). At the age, grpc-js sends GOAWAY NO_ERROR and at once calls
 * `session.close()`, after which Node refuses with REFUSED_STREAM every stream whose HEADERS it
 * has not read yet, although the GOAWAY promised to serve them. grpc-js retries a refused call
 * once, on a new connection, which is retired 2 s later in turn, long before a busy server has
 * read a burst of thousands of calls: no age is both short enough for steady cancels and long
 * enough for such a burst.
 */
export function newServer(options: grpc.ServerOptions = {}): grpc.Server {
  const server = new grpc.Server(options);
  const factory = server as unknown as Partial<Http2Factory>;
  const create = factory.createHttp2Server;
  if (typeof create !== 'function')
    throw new Error('this grpc-js has no Server.createHttp2Server: src/grpc/server-options.ts needs a new way to see connections');
  factory.createHttp2Server = (credentials) => {
    const http2 = create.call(server, credentials);
    http2.on('session', retireAfterResets);
    return http2;
  };
  return server;
}

function retireAfterResets(session: ServerHttp2Session): void {
  let resets = 0;
  // Named in the GOAWAY: nghttp2 ignores, unanswered, every stream opened after it sent a GOAWAY,
  // whatever id that names; naming the last one it took makes the client refuse the later ones
  // itself, and grpc-js retries a refused call on a new connection. With 2^31 - 1 named, they hung
  // until their deadlines: in the overload bench every NSP call in flight stalled ~10 s at each retirement.
  let last = 0;
  session.on('stream', (stream: ServerHttp2Stream) => {
    last = Math.max(last, stream.id ?? 0);
    stream.once('close', () => {
      if (stream.rstCode === constants.NGHTTP2_NO_ERROR || ++resets !== RETIRE_AFTER_RESETS) return;
      if (!session.closed && !session.destroyed) session.goaway(constants.NGHTTP2_NO_ERROR, last);
    });
  });
}
