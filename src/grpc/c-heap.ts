import { loadAddon } from './addon.js';

interface Memory {
  /** Gives the C heap's free pages back to the kernel; whether any went (native/memory.c). */
  trim(): boolean;
}

/**
 * How often the C heap's free pages are given back. A burst of thousands of Opens and the
 * NSP refresh rounds after it leave tens of MB of freed HTTP/2 buffers in glibc's arenas,
 * which the process keeps otherwise: at 10,000 streams, trimming every 2 s took the
 * sidecar's RSS from a median of 147 MB and a maximum of 162 MB to 126 and 144 MB, for
 * about 4 % more CPU time over the refresh rounds (README, "The sidecar's RSS at 10,000
 * streams"). A trim walks only the free chunks: milliseconds at most.
 */
export const TRIM_EVERY_MS = 2_000;

/**
 * Trims the C heap every TRIM_EVERY_MS until stopped. Without the addon the sidecar runs
 * on, with the memory it would have had anyway: `unavailable` is told why, once.
 */
export function trimCHeap(unavailable: (why: string) => void): { stop(): void } {
  let memory: Memory;
  try {
    memory = loadAddon<Memory>('memory');
  } catch (err) {
    unavailable((err as Error).message);
    return { stop: () => undefined };
  }
  const timer = setInterval(() => memory.trim(), TRIM_EVERY_MS);
  // It never keeps the process alive: a sidecar that is done exits.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
