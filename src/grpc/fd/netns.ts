import { closeSync, fstatSync, openSync } from 'node:fs';
import { NETNS_KEY, NETNS_URL } from '../../core/index.js';
import type { Connection, Mechanism, NetworkServiceRequest } from '../../core/wire.js';
import { DescriptorDialer } from './dialer.js';

/**
 * Hands the pod's network namespace to the NSM manager, as NSM's sendfd client does: the
 * namespace goes as a file descriptor on the connection that carries each Request and Close,
 * and the kernel mechanism names it `inode://DEV/INO`, which the manager matches against the
 * descriptors it received on that connection. The `file://` URL the core asks for would be
 * opened by the manager in its own PID namespace, and name the wrong namespace.
 */
export class NetnsHandover {
  /** The grpc-js target that reaches the manager through the dialer. */
  readonly address: string;
  readonly inodeUrl: string;

  private constructor(
    private readonly netns: number,
    private readonly dialer: DescriptorDialer,
  ) {
    const { dev, ino } = fstatSync(netns);
    this.inodeUrl = `inode://${dev}/${ino}`;
    this.address = dialer.address;
  }

  /** `nsmSocket`: the manager's unix socket path. */
  static async start(nsmSocket: string): Promise<NetnsHandover> {
    // The main thread's namespace is the process's, which is the pod's.
    const netns = openSync('/proc/thread-self/ns/net', 'r');
    try {
      return new NetnsHandover(netns, await DescriptorDialer.start(nsmSocket, () => [netns]));
    } catch (err) {
      closeSync(netns);
      throw err;
    }
  }

  /** A Request as it must go out: the namespace by inode, its descriptor queued for the connection. */
  request(request: NetworkServiceRequest): NetworkServiceRequest {
    this.dialer.resend();
    return {
      ...request,
      ...(request.connection ? { connection: this.connection(request.connection) } : {}),
      mechanismPreferences: request.mechanismPreferences.map((m) => this.mechanism(m)),
    };
  }

  /** A Close as it must go out: the manager looks for the namespace on Close too. */
  close(connection: Connection): Connection {
    this.dialer.resend();
    return this.connection(connection);
  }

  dispose(): void {
    this.dialer.close();
    closeSync(this.netns);
  }

  private connection(connection: Connection): Connection {
    return connection.mechanism ? { ...connection, mechanism: this.mechanism(connection.mechanism) } : connection;
  }

  private mechanism(mechanism: Mechanism): Mechanism {
    if (mechanism.type !== 'KERNEL' || mechanism.parameters[NETNS_KEY] !== NETNS_URL) return mechanism;
    return { ...mechanism, parameters: { ...mechanism.parameters, [NETNS_KEY]: this.inodeUrl } };
  }
}
