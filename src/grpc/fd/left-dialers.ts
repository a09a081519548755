import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { knock } from '../socket-path.js';

/** What a DescriptorDialer makes: a private directory named by mkdtemp, holding its socket. */
export const DIALER_PREFIX = 'tapa-dial-';
export const DIALER_SOCKET = 'nsm.sock';
const DIALER_NAME = new RegExp(`^${DIALER_PREFIX}[A-Za-z0-9]{6}$`);
/** A socket younger than this is let be: a dialer between bind and listen refuses connections too. */
const STARTING_MS = 60_000;

/**
 * Removes the directories that dialers of processes since killed left in `parent`: a
 * sidecar that is killed (SIGKILL, OOM) never closes its dialer, and in a pod, whose
 * temporary directory outlives a restart of the container, every crash would leave one
 * more. Only what is ours for certain goes: a directory of mkdtemp's name and ours (owner
 * and mode 0700), holding nothing but the socket, made over a minute ago, on which nobody
 * listens any longer. A dialer alive in another process answers the test connection, and
 * keeps its directory (it sees one connection open and close at once). Returns the
 * directories removed; any error leaves an entry where it is.
 */
export async function removeLeftDialers(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!DIALER_NAME.test(name)) continue;
    const directory = join(parent, name);
    try {
      if (await isLeft(directory)) {
        await unlink(join(directory, DIALER_SOCKET));
        await rmdir(directory);
        removed.push(directory);
      }
    } catch {
      // Gone meanwhile, or not ours to judge: left alone.
    }
  }
  return removed;
}

async function isLeft(directory: string): Promise<boolean> {
  const uid = process.getuid?.();
  const dir = await lstat(directory);
  if (!dir.isDirectory() || dir.uid !== uid || (dir.mode & 0o777) !== 0o700) return false;
  const entries = await readdir(directory);
  if (entries.length !== 1 || entries[0] !== DIALER_SOCKET) return false;
  const socket = await lstat(join(directory, DIALER_SOCKET));
  if (!socket.isSocket() || socket.uid !== uid) return false;
  // A dialer that is starting has bound its socket and may not listen yet.
  if (Date.now() - socket.mtimeMs < STARTING_MS) return false;
  return (await knock(join(directory, DIALER_SOCKET))) === 'refused';
}
