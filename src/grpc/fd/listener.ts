import { READABLE, unixfd, type Watcher } from './native.js';
import { DescriptorSocket } from './socket.js';

/**
 * A listening unix socket whose connections can receive file descriptors, as a network
 * service mesh manager's does. Node's net.Server cannot be used: its sockets read with
 * read(2), and the kernel discards descriptors that arrive without a control buffer.
 */
export class DescriptorListener {
  private readonly fd: number;
  private readonly watcher: Watcher;
  private closed = false;

  /** The path must not exist; the caller removes it after close(). */
  constructor(
    readonly path: string,
    connection: (socket: DescriptorSocket) => void,
    descriptors: (socket: DescriptorSocket, fds: number[]) => void,
  ) {
    this.fd = unixfd().listen(path, 128);
    this.watcher = unixfd().watch(this.fd, () => {
      for (let fd = unixfd().accept(this.fd); fd >= 0 && !this.closed; fd = unixfd().accept(this.fd)) {
        const socket: DescriptorSocket = new DescriptorSocket(fd, (fds) => descriptors(socket, fds));
        connection(socket);
      }
    });
    unixfd().interest(this.watcher, READABLE);
  }

  /** Stops accepting; connections already made stay up. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    unixfd().stop(this.watcher);
    unixfd().close(this.fd);
  }
}
