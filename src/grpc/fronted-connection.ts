import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { MalformedRequest, type AuthorityFront } from './authority-front.js';

/** What the front of a connection tells about its client. */
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
  /** `read`: what `front` already returned, which the server reads first. */
  constructor(
    private readonly socket: Socket,
    front: AuthorityFront,
    read: readonly Buffer[],
    events: FrontEvents,
  ) {
    super();
    for (const b of read) this.push(b);
    socket.on('data', (chunk: Buffer) => {
      let bytes: Buffer[];
      try {
        bytes = front.feed(chunk);
      } catch (err) {
        events.refused(refusal(err));
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

/** Why a front refused its client: whatever a client sends, it costs that client its connection and nothing more. */
export function refusal(err: unknown): string {
  return err instanceof MalformedRequest ? err.message : `cannot read it: ${String(err)}`;
}
