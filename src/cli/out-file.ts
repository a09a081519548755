import { closeSync, constants, openSync, writeFileSync } from 'node:fs';

/**
 * Writes what an operator asked for into `path`, the way `curl -o` would, but not through a
 * symbolic link: run as root in a directory others write to (/tmp), following one would let
 * whoever placed it choose which file gets overwritten. A new file is readable by its owner
 * alone (a recording names the pod's streams and addresses); a file already there keeps its
 * mode and owner. Throws an Error whose message says why the file was not written.
 */
export function writeOutFile(path: string, data: Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    writeFileSync(fd, data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new Error(`${path} is a symbolic link: not written through it; name the file it points to, or - for standard output`, {
        cause: err,
      });
    throw new Error(`${path}: cannot write: ${(err as Error).message}`, { cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
