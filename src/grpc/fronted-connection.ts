import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { AuthorityFront, MalformedRequest } from './authority-front.js';

/** What a fronted connection tells about its client. */
export interface FrontEvents {
  /** The first `:authority` the connection rewrote, as sent and as served. */
  rewritten(from: string, to: string): void;
  /** The connection was closed: its client sent bytes that no HTTP/2 client sends. */
  refused(reason: string): void;
}

/**
 * An accepted connection as grpc-js gets it: what the client sends goes through an
 * AuthorityFront, what the server sends goes to the socket as it is. Closing either side
 * closes both.
 */
export class FrontedConnection extends Duplex {
  private readonly front: AuthorityFront;

  constructor(
    private readonly socket: Socket,
    events: FrontEvents,
  ) {
    super();
    let told = false;
    this.front = new AuthorityFront((from, to) => {
      if (!told) events.rewritten(from, to);
      told = true;
    });
    socket.on('data', (chunk: Buffer) => {
      let bytes: Buffer[];
      try {
        bytes = this.front.feed(chunk);
      } catch (err) {
        // Whatever a client sends, it costs that client its connection and nothing more.
        events.refused(err instanceof MalformedRequest ? err.message : `cannot read it: ${String(err)}`);
        this.destroy();
        return;
      }
      let more = true;
      for (const b of bytes) more = this.push(b);
      if (!more) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.written(this.socket.write(chunk), done);
  }

  /** What Node's HTTP/2 session writes at once (frames of several streams) goes to the socket in one system call. */
  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.socket.cork();
    let more = true;
    for (const { chunk } of chunks) more = this.socket.write(chunk);
    this.socket.uncork();
    this.written(more, done);
  }

  private written(more: boolean, done: (err?: Error | null) => void): void {
    if (more) done();
    else this.socket.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}
