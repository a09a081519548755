import { loadAddon } from '../addon.js';

/** The unixfd addon (native/unixfd.c), built by `npm ci` through the package's prepare script. */
interface UnixFd {
  connect(path: string): number;
  listen(path: string, backlog: number): number;
  /** -1: nobody is waiting. */
  accept(fd: number): number;
  /** Bytes sent, the descriptors riding with the first; -1: the socket is full, nothing went. */
  send(fd: number, bytes: Buffer, fds: readonly number[]): number;
  /** bytes -1: nothing waiting; 0: end of stream. */
  recv(fd: number, into: Buffer): { bytes: number; fds: number[]; truncated: boolean };
  watch(fd: number, callback: (status: number, events: number) => void): Watcher;
  /** 1 readable, 2 writable. */
  interest(watcher: Watcher, events: number): void;
  stop(watcher: Watcher): void;
  close(fd: number): void;
}

declare const watcherBrand: unique symbol;
export type Watcher = { readonly [watcherBrand]: true };

export const READABLE = 1;
export const WRITABLE = 2;

let loaded: UnixFd | undefined;

/** The addon, loaded on first use: only a sidecar that passes descriptors needs it. */
export function unixfd(): UnixFd {
  loaded ??= loadAddon<UnixFd>('unixfd');
  return loaded;
}
