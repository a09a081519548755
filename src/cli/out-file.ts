import { closeSync, constants, fstatSync, openSync, writeFileSync } from 'node:fs';

/**
 * Writes what an operator asked for into `path`, the way `curl -o` would, but not through a
 * symbolic link, nor into anything but a regular file: run as root in a directory others
 * write to (/tmp), following one would let whoever placed it choose which file gets
 * overwritten, and a FIFO would hold the command. A new file is readable by its owner
 * alone (a recording names the pod's streams and addresses); a file already there keeps its
 * mode and owner. Throws an Error whose message says why the file was not written.
 */
export function writeOutFile(path: string, data: Uint8Array): void {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO placed at the name fails at once (nobody reads it) rather than holding the command.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file: not written to`);
    writeFileSync(fd, data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err; // our own refusal, as it is
    if (code === 'ELOOP')
      throw new Error(`${path} is a symbolic link: not written through it; name the file it points to, or - for standard output`, {
        cause: err,
      });
    throw new Error(`${path}: cannot write: ${(err as Error).message}`, { cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
