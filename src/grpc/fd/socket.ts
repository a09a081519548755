import { Duplex } from 'node:stream';
import { READABLE, unixfd, WRITABLE, type Watcher } from './native.js';

/** What one read takes off the socket at most. */
const READ_SIZE = 64 * 1024;

/**
 * A connected unix stream socket as a Node Duplex that can also send file descriptors
 * (with the next byte written) and receive them. It owns its socket and closes it when destroyed;
 * received descriptors belong to whoever listens for them.
 */
export class DescriptorSocket extends Duplex {
  private readonly watcher: Watcher;
  private attached: readonly number[] = [];
  private writing: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  private reading = false;
  private released = false;

  /** `descriptors` gets every descriptor received, before the bytes that carried it are pushed. */
  constructor(
    private readonly fd: number,
    private readonly descriptors: (fds: number[]) => void = closeAll,
  ) {
    super();
    this.watcher = unixfd().watch(fd, (status, events) => this.onReady(status, events));
  }

  /** `fds` ride with the next byte written; the caller keeps them open until then. */
  attach(fds: readonly number[]): void {
    this.attached = [...this.attached, ...fds];
  }

  override _read(): void {
    this.reading = true;
    this.pull();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writing = { chunk, callback };
    this.flush();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.released) {
      this.released = true;
      unixfd().stop(this.watcher);
      unixfd().close(this.fd);
    }
    callback(error);
  }

  private onReady(status: number, events: number): void {
    if (this.released) return;
    if (status < 0) return void this.destroy(new Error(`unix socket poll failed (${status})`));
    if (events & WRITABLE) this.flush();
    if (events & READABLE && this.reading) this.pull();
  }

  private flush(): void {
    try {
      while (this.writing && !this.released) {
        const { chunk, callback } = this.writing;
        const sent = unixfd().send(this.fd, chunk, this.attached);
        if (sent < 0) return this.listen();
        this.attached = [];
        if (sent < chunk.length) {
          this.writing = { chunk: chunk.subarray(sent), callback };
          continue;
        }
        this.writing = undefined;
        this.listen();
        callback();
      }
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  private pull(): void {
    try {
      while (this.reading && !this.released) {
        const buffer = Buffer.allocUnsafe(READ_SIZE);
        const got = unixfd().recv(this.fd, buffer);
        if (got.fds.length > 0) this.descriptors(got.fds);
        if (got.truncated) this.emit('error', new Error('descriptors beyond the per-message limit were dropped by the kernel'));
        if (got.bytes < 0) return this.listen();
        if (got.bytes === 0) {
          this.reading = false;
          this.listen();
          this.push(null);
          return;
        }
        this.reading = this.push(buffer.subarray(0, got.bytes));
      }
      this.listen();
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  /** Polls for exactly what is waited on: readable while reading, writable while a write is stuck. */
  private listen(): void {
    if (this.released) return;
    unixfd().interest(this.watcher, (this.reading ? READABLE : 0) | (this.writing ? WRITABLE : 0));
  }
}

/** Nobody asked for descriptors: they must not leak. */
function closeAll(fds: number[]): void {
  for (const fd of fds) unixfd().close(fd);
}
