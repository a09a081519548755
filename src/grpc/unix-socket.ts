import * as grpc from '@grpc/grpc-js';
import { lstatSync, type Stats } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ConfigError } from './config.js';
import { serveConnection } from './accepted-connection.js';
import type { FrontEvents } from './fronted-connection.js';
import type { Logger } from './log.js';
import { claim, isSocket, type SocketPath } from './socket-path.js';

export interface UnixSocket {
  /**
   * Stops accepting connections and closes those not handed to grpc-js yet (its shutdown closes
   * the others); removes the socket file only if the path still names the one created here.
   */
  close(): void;
}

/**
 * Serves `server` on a new unix socket at `socket.path`, born with `socket.mode`; throws a
 * ConfigError naming the variable if the path is not one the sidecar may take (see claim).
 * Each connection reaches grpc-js through serveConnection, so that clients which send the
 * socket path as `:authority` are served.
 *
 * Why this way, as measured on Node 20 with grpc-js 1.14:
 * - a chmod after the bind follows a symlink that anyone who can write the directory swaps in, and
 *   leaves the socket with the wrong mode meanwhile, so the file is created with its mode: the umask
 *   is set for the bind only;
 * - grpc-js' bindAsync creates the file some ticks after the call, so a umask around it would also
 *   apply to whatever else runs in between; net.Server.listen binds before it returns, so the umask
 *   window is that one call, and the file is looked at right after it, which also checks that;
 * - a bind in a private directory then link(2) into place would need that directory beside the
 *   socket, where the application may rename it away and where a kill -9 leaves it, and a temporary
 *   path that may not fit in 108 bytes;
 * - libuv unlinks the path a listener bound when it closes, whatever is there by then, so the
 *   listener is closed only while the path still names our socket.
 */
export async function serveOn(server: grpc.Server, socket: SocketPath, log?: Logger): Promise<UnixSocket> {
  await claim(socket);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const events: FrontEvents = {
    rewritten: (from, to) =>
      log?.debug(
        { socket: socket.path, authority: from, as: to },
        'a client sent an :authority that is not one; served as percent-encoded',
      ),
    refused: (reason) => log?.warn({ socket: socket.path, reason }, 'closed a connection: its client sent what no HTTP/2 client sends'),
  };
  let open = true;
  /** Connections grpc-js does not have yet, so that its shutdown does not close them. */
  const undecided = new Set<Socket>();
  const listener = createServer((connection) => {
    if (!open) return connection.destroy();
    undecided.add(connection);
    connection.once('close', () => undecided.delete(connection));
    serveConnection(connection, events, (c) => {
      undecided.delete(connection);
      injector.injectConnection(c);
    });
  });
  const created = await listen(listener, socket);
  return {
    close: () => {
      if (!open) return;
      open = false;
      for (const connection of undecided) connection.destroy();
      if (isSocket(socket.path, created)) listener.close();
      // Someone else's file is at the path now. The socket cannot be reached any more; it goes when the process ends.
      else listener.unref();
    },
  };
}

/** Binds and returns the file the bind created, or throws a ConfigError. */
async function listen(listener: Server, socket: SocketPath): Promise<Stats> {
  const umask = socket.mode === undefined ? undefined : process.umask(0o777 & ~socket.mode);
  try {
    listener.listen(socket.path);
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
  const created = lstatSync(socket.path, { throwIfNoEntry: false });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => reject(new ConfigError(socket.variable, socket.path, bindFailure(err)));
    listener.once('error', failed);
    listener.once('listening', () => {
      listener.off('error', failed);
      resolve();
    });
  });
  if (created?.isSocket() !== true) abandon(listener, socket, 'a path that nothing else changes while the socket is created');
  const wrong = wrongMode(created, socket.mode);
  if (wrong !== undefined) abandon(listener, socket, wrong);
  return created;
}

/** What is at the path may not be ours, so the listener is not closed: that would unlink it. */
function abandon(listener: Server, socket: SocketPath, expected: string): never {
  listener.unref();
  throw new ConfigError(socket.variable, socket.path, expected);
}

function wrongMode(created: Stats, mode: number | undefined): string | undefined {
  const got = created.mode & 0o777;
  if (mode === undefined || got === mode) return undefined;
  // The umask does not apply where the directory has a default ACL.
  return `a socket created with mode ${mode.toString(8).padStart(4, '0')}, but it got ${got.toString(8).padStart(4, '0')}: a default ACL on the directory?`;
}

function bindFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'a free path, but something was put there while the sidecar started (left as it is)';
    case 'EACCES':
      return 'a path in a directory the sidecar may write (EACCES)';
    default:
      return `a path where a unix socket can be created (${err.code ?? err.message})`;
  }
}
