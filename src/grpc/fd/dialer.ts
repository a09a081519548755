import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALER_PREFIX, DIALER_SOCKET } from './left-dialers.js';
import { unixfd } from './native.js';
import { DescriptorSocket } from './socket.js';

/**
 * Lets grpc-js talk to a unix socket peer that expects file descriptors with the bytes.
 *
 * grpc-js dials `address`, a socket in a private directory of ours (mode 0700: nobody
 * else can reach it); every connection made there is paired with one to `target`, and
 * the bytes are copied both ways unchanged, so TLS stays end to end. `descriptors()` ride
 * with the first byte of every new connection to the target, and again with the next
 * byte after `resend()`: a peer reads descriptors per connection, so a call must be
 * preceded by them on whatever connection grpc-js picks, including one opened after a
 * reconnect. A process killed before `close` leaves the directory: see removeLeftDialers.
 */
export class DescriptorDialer {
  readonly address: string;
  private readonly directory: string;
  private readonly server: Server;
  private readonly upstream = new Set<DescriptorSocket>();

  private constructor(
    private readonly target: string,
    private readonly descriptors: () => readonly number[],
  ) {
    this.directory = mkdtempSync(join(tmpdir(), DIALER_PREFIX));
    this.address = `unix://${join(this.directory, DIALER_SOCKET)}`;
    this.server = createServer((down) => this.pair(down));
  }

  static async start(target: string, descriptors: () => readonly number[]): Promise<DescriptorDialer> {
    const dialer = new DescriptorDialer(target, descriptors);
    await new Promise<void>((resolve, reject) => {
      dialer.server.once('error', reject);
      dialer.server.listen(dialer.address.slice('unix://'.length), () => resolve());
    });
    return dialer;
  }

  /** The descriptors go again, with the next byte on every live connection. */
  resend(): void {
    for (const up of this.upstream) up.attach(this.descriptors());
  }

  close(): void {
    this.server.close();
    for (const up of this.upstream) up.destroy();
    rmSync(this.directory, { recursive: true, force: true });
  }

  private pair(down: Socket): void {
    let up: DescriptorSocket;
    try {
      up = new DescriptorSocket(unixfd().connect(this.target));
    } catch {
      // grpc-js sees the connection drop and backs off, as if the target had refused it.
      return void down.destroy();
    }
    this.upstream.add(up);
    up.attach(this.descriptors());
    const end = (): void => {
      this.upstream.delete(up);
      up.destroy();
      down.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up);
    up.pipe(down);
  }
}
