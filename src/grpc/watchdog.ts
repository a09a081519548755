import type { Worker } from 'node:worker_threads';
import { LOOP_STUCK } from '../runner/recorder.js';
import { startWorker } from '../worker-thread.js';

export interface WatchdogData {
  readonly beat: Int32Array;
  readonly stuckMs: number;
}

/**
 * Watches the event loop from another thread: when it has not turned for `stuckMs`,
 * `stuck` runs on the main thread, inside whatever holds it (see watchdog-worker.ts).
 * One call per stuck spell.
 */
export class Watchdog {
  private readonly worker: Worker;
  private readonly heart: NodeJS.Timeout;
  private readonly listener: (stuckFor: number) => void;

  constructor(stuckMs: number, stuck: (stuckFor: number) => void) {
    const beat = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    this.heart = setInterval(() => Atomics.add(beat, 0, 1), Math.max(5, Math.floor(stuckMs / 8)));
    this.heart.unref();
    this.listener = stuck;
    process.on(LOOP_STUCK, this.listener);
    this.worker = startWorker(import.meta.url, 'watchdog-worker', { beat, stuckMs } satisfies WatchdogData);
    this.worker.unref();
  }

  stop(): void {
    clearInterval(this.heart);
    process.off(LOOP_STUCK, this.listener);
    void this.worker.terminate();
  }
}
