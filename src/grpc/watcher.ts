import type { StreamStatus } from '../core/wire.js';

/** The part of a server stream a Watch writes to: Node's Writable. */
export interface WatchStream {
  write(message: { streamStatus: StreamStatus[] }): boolean;
  on(event: 'drain', listener: () => void): unknown;
}

/**
 * What a Tap.Watch subscriber is sent: every snapshot while it reads, and only the
 * newest once it stops. A snapshot is the whole picture, so one that a newer one
 * supersedes can be dropped; a client that does not read then holds at most one
 * snapshot in our memory besides what its HTTP/2 stream buffers, whatever the churn, and
 * once it reads again it gets the current state.
 */
export function latestOnly(stream: WatchStream): (statuses: readonly StreamStatus[]) => void {
  let next: readonly StreamStatus[] | undefined;
  let blocked = false;
  const flush = (): void => {
    while (next !== undefined && !blocked) {
      const statuses = next;
      next = undefined;
      // false: the stream's buffer is full; wait for 'drain' before writing more.
      blocked = !stream.write({ streamStatus: [...statuses] });
    }
  };
  stream.on('drain', () => {
    blocked = false;
    flush();
  });
  return (statuses) => {
    next = statuses;
    flush();
  };
}
