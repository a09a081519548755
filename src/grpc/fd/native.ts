import { createRequire } from 'node:module';

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

// Both src/grpc/fd/native.ts (tests, through tsx) and dist/grpc/fd/native.js sit three
// levels below the package root.
const ADDON = '../../../native/build/Release/unixfd.node';

let loaded: UnixFd | undefined;

/** The addon, loaded on first use: only a sidecar that passes descriptors needs it. */
export function unixfd(): UnixFd {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)(ADDON) as UnixFd;
    } catch (err) {
      throw new Error(
        `the unixfd addon is not built (${(err as Error).message}); run \`npm ci\` or \`npm run build:native\`, which need a C compiler, make, python3 and Node's headers`,
        { cause: err },
      );
    }
  }
  return loaded;
}
