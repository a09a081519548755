import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthorityFront } from './authority-front.js';
import { FrontedConnection, refusal, type FrontEvents } from './fronted-connection.js';

/** A SETTINGS frame with no settings: a whole server connection preface (RFC 9113 3.4). */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);

/**
 * The most a connection buffers before its first request and the acknowledgement of the empty
 * SETTINGS are both in: a client sends far less (its preface, SETTINGS, a WINDOW_UPDATE, at
 * most a round trip of requests). A client that sends more goes through the front: served,
 * only not natively. The header block being read is bounded by the front on its own.
 */
const UNDECIDED_MAX = 64 * 1_024;

/**
 * Serves an accepted connection: `inject` gets either the socket itself or, if the client sends
 * an `:authority` that needs rewriting, a FrontedConnection over it.
 *
 * Why: Node wraps any stream handed to its HTTP/2 server that is not a native socket in a
 * JavaScript one, which costs every call on it; only the rare client that sends a path as
 * authority needs the front. Whether it does is known at its first request, so the connection's
 * bytes are read here until then. Clients that wait for the server's connection preface before
 * their first request (grpc-go, and grpc-js, which waits for its SETTINGS) get an empty SETTINGS
 * at once; nghttp2 sends its own when it takes over, and two are allowed. The client's
 * acknowledgement of ours must not reach nghttp2, which never sent it, so the socket is handed
 * over only once that acknowledgement has come and been dropped; Node's HTTP/2 session reads
 * what is in the socket's buffer first (unshifted here) and then reads the socket natively.
 *
 * A connection handed over is not read here any more: a client that sent a path as authority
 * only from its second request on would not be served (clients send the same one every time).
 * A client that connects and sends nothing holds its socket, as it would with grpc-js alone.
 */
export function serveConnection(socket: Socket, events: FrontEvents, inject: (connection: Duplex) => void): void {
  let told = false;
  const front = new AuthorityFront((from, to) => {
    if (!told) events.rewritten(from, to);
    told = true;
  });
  const read: Buffer[] = [];
  let size = 0;
  const failed = (): void => {};
  const decide = (chunk: Buffer): void => {
    try {
      for (const b of front.feed(chunk)) {
        read.push(b);
        size += b.length;
      }
    } catch (err) {
      events.refused(refusal(err));
      socket.destroy();
      return;
    }
    if (front.rewriting || size > UNDECIDED_MAX) {
      socket.off('data', decide).off('error', failed);
      inject(new FrontedConnection(socket, front, read, events));
    } else if (front.requested && front.acknowledged) {
      socket.off('data', decide).off('error', failed).pause();
      socket.unshift(Buffer.concat([...read, ...front.held()]));
      inject(socket);
    }
  };
  // A socket error destroys the socket; the listener only keeps it from being an uncaught one.
  socket.on('data', decide).on('error', failed);
  socket.write(EMPTY_SETTINGS);
}
