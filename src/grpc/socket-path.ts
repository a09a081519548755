import { lstatSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { ConfigError } from './config.js';

/** A unix socket the sidecar serves on, as configured: `variable` names it in error messages. */
export interface SocketPath {
  readonly variable: string;
  readonly path: string;
  /** The permission bits it is created with; undefined: as the process umask gives, as Go's net.Listen does. */
  readonly mode?: number;
}

/** Which file a path named when it was looked at: a later look tells whether it is still the same one. */
export interface Identity {
  readonly dev: number;
  readonly ino: number;
}

/** sun_path holds 108 bytes with the terminating NUL; a longer path is silently cut by the bind. */
const MAX_PATH_BYTES = 107;

const FREE = 'a free path or a stale unix socket';

/** Whether `path` names a unix socket that is still `identity`, without following a symlink. */
export function isSocket(path: string, identity: Identity): boolean {
  const now = lstatSync(path, { throwIfNoEntry: false });
  return now !== undefined && now.isSocket() && now.dev === identity.dev && now.ino === identity.ino;
}

/**
 * Makes `socket.path` ready for a bind, or throws a ConfigError that says why not. The path is the
 * operator's and may be shared with the application container, so nothing there is deleted or
 * followed except a unix socket that no process answers: what a killed sidecar leaves in its
 * emptyDir, which must not stop the restarted one. (Go's TAPA removes whatever is there.)
 */
export async function claim(socket: SocketPath): Promise<void> {
  const refuse: (expected: string) => never = (expected) => {
    throw new ConfigError(socket.variable, socket.path, expected);
  };
  const bytes = Buffer.byteLength(socket.path);
  if (bytes === 0) refuse('a path');
  if (bytes > MAX_PATH_BYTES) refuse(`at most ${MAX_PATH_BYTES} bytes, the limit of a unix socket address, not ${bytes}`);
  const parent = dirname(socket.path);
  const directory = look(() => statSync(parent, { throwIfNoEntry: false }), refuse, parent);
  if (directory === undefined) refuse(`a path in an existing directory, but ${parent} does not exist`);
  if (!directory.isDirectory()) refuse(`a path in a directory, but ${parent} is not one`);

  const found = look(() => lstatSync(socket.path, { throwIfNoEntry: false }), refuse, socket.path);
  if (found === undefined) return;
  if (!found.isSocket()) refuse(`${FREE}, found ${kind(found)} (left as it is)`);
  const answer = await knock(socket.path);
  if (answer === 'gone') return;
  if (answer === 'answered') refuse(`${FREE}, found a unix socket that a process answers on, such as another sidecar (left as it is)`);
  if (answer !== 'refused') refuse(`${FREE}, found a unix socket that cannot be tried (${answer.error}, left as it is)`);
  // Between the knock and here another process may have put its own file at the path.
  if (!isSocket(socket.path, found)) refuse(`${FREE}, but the stale socket there was replaced while being checked`);
  try {
    unlinkSync(socket.path);
  } catch (err) {
    refuse(`${FREE}, found a stale unix socket that the sidecar may not remove (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** A stat that fails for another reason than a missing file (EACCES, ENOTDIR, ELOOP) is refused with its code. */
function look<T>(stat: () => T, refuse: (expected: string) => never, path: string): T {
  try {
    return stat();
  } catch (err) {
    return refuse(`a path the sidecar can look at, but ${path} gives ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function kind(found: Stats): string {
  if (found.isSymbolicLink()) return 'a symbolic link, which is never followed';
  if (found.isFile()) return 'a regular file';
  if (found.isDirectory()) return 'a directory';
  if (found.isFIFO()) return 'a FIFO';
  if (found.isCharacterDevice()) return 'a character device';
  if (found.isBlockDevice()) return 'a block device';
  return 'something that is not a socket';
}

/**
 * Tries to connect: a listening process answers at once (the kernel accepts into its backlog even
 * if the process is busy or stopped), a stale socket refuses at once, so no timer is needed.
 */
export function knock(path: string): Promise<'answered' | 'refused' | 'gone' | { readonly error: string }> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve('answered');
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') resolve('refused');
      else if (err.code === 'ENOENT') resolve('gone');
      else resolve({ error: err.code ?? err.message });
    });
  });
}
