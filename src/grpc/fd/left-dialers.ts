import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { knock } from '../socket-path.js';

/** What a DescriptorDialer makes: a private directory named by mkdtemp, holding its socket. */
export const DIALER_PREFIX = 'tapa-dial-';
export const DIALER_SOCKET = 'nsm.sock';
const DIALER_NAME = new RegExp(`^${DIALER_PREFIX}[A-Za-z0-9]{6}$`);
/**
 * A directory or socket younger than this is let be: a dialer that is starting may have made
 * its directory and not yet bound its socket, or bound it and not yet listened (refusing, as a
 * dead one does).
 */
const STARTING_MS = 60_000;

/**
 * Removes the directories that dialers of processes since killed left in `parent`: a
 * sidecar that is killed (SIGKILL, OOM) never closes its dialer, and in a pod, whose
 * temporary directory outlives a restart of the container, every crash would leave one
 * more. Only what is ours for certain goes: a directory of mkdtemp's name and ours (owner
 * and mode 0700), made over a minute ago, holding nothing but a socket on which nobody
 * listens any longer, or nothing at all. A dialer alive in another process answers the
 * test connection, and keeps its directory (it sees one connection open and close at
 * once). Returns the directories removed; any error leaves an entry where it is.
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
      const inside = await leftIn(directory);
      if (inside === undefined) continue;
      for (const path of inside) await unlink(path);
      await rmdir(directory);
      removed.push(directory);
    } catch {
      // Gone meanwhile, or not ours to judge: left alone.
    }
  }
  return removed;
}

/**
 * What is in a left dialer's directory, to remove before it: its socket, or nothing (a
 * dialer killed between mkdtemp and bind); undefined if the directory is not a left one.
 */
async function leftIn(directory: string): Promise<string[] | undefined> {
  const uid = process.getuid?.();
  const dir = await lstat(directory);
  if (!dir.isDirectory() || dir.uid !== uid || (dir.mode & 0o777) !== 0o700) return undefined;
  const entries = await readdir(directory);
  if (entries.length === 0) return settled(dir.mtimeMs) ? [] : undefined;
  if (entries.length !== 1 || entries[0] !== DIALER_SOCKET) return undefined;
  const path = join(directory, DIALER_SOCKET);
  const socket = await lstat(path);
  if (!socket.isSocket() || socket.uid !== uid || !settled(socket.mtimeMs)) return undefined;
  return (await knock(path)) === 'refused' ? [path] : undefined;
}

/** Made STARTING_MS ago or earlier. */
function settled(mtimeMs: number): boolean {
  return Date.now() - mtimeMs >= STARTING_MS;
}
