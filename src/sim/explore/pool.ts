import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../worker-thread.js';
import type { HuntOptions } from './hunt.js';
import type { SearchOptions } from './reproduce.js';
import type { Shard } from './shard.js';

/** Positions a worker takes at a time: small, so that workers stop soon after an outcome below them is known. */
export const CHUNK = 16;

/** Slots of the array the workers share with this thread. */
export const NEXT = 0;
/** The highest position any run still needs: above it, the outcome is already decided. */
export const CUTOFF = 1;
/** Runs done, for progress. */
export const DONE = 2;

/** No position is known to decide the outcome yet. */
export const NO_CUTOFF = 2 ** 31 - 1;

/** What the workers run, position after position: the runs of a hunt's shard, or the tries of a reproduction. */
export type Job =
  | { readonly kind: 'hunt'; readonly options: Omit<HuntOptions, 'model' | 'note' | 'stop' | 'progress'> & { readonly shard: Shard } }
  | { readonly kind: 'reproduce'; readonly options: SearchOptions };

export interface WorkerData {
  /** How a worker loads the model: a built-in model's name or a model file's path, as `--model` takes it. */
  readonly modelSpec: string;
  readonly job: Job;
  readonly shared: SharedArrayBuffer;
  /** Positions 0 .. total - 1 (Infinity: until the cutoff or the deadline). */
  readonly total: number;
  /** No run starts past this wall-clock time (ms since the epoch). */
  readonly deadline: number;
}

export type FromWorker =
  | { readonly kind: 'report'; readonly position: number; readonly report: unknown }
  | { readonly kind: 'chunk'; readonly first: number; readonly done: number }
  | { readonly kind: 'finished' };

export interface PoolOptions<R> {
  readonly modelSpec: string;
  readonly job: Job;
  readonly total: number;
  readonly workers: number;
  readonly deadline: number;
  /** A worker reported a position; returns the cutoff this makes known (NO_CUTOFF: none). */
  readonly report: (position: number, report: R) => number;
  /** Runs done so far, a few times a second. */
  readonly progress?: (done: number) => void;
}

/** What the workers explored: the reports by position, and whether a position was run. */
export interface Explored<R> {
  readonly reports: ReadonlyMap<number, R>;
  /**
   * Whether the run at `position` was run. A chunk stopped early (deadline, cutoff) ends
   * what a fold in position order may use, as the deadline ends the work of one thread.
   */
  ran(position: number): boolean;
}

/**
 * Runs the positions of a job on worker threads, in chunks taken from a shared counter;
 * each worker reports what the job says is worth reporting of a run, and stops once the
 * positions left are above the cutoff that the reports so far make known. The caller folds
 * the reports in position order, so the outcome is that of one thread going through the
 * positions one after the other, whatever the number of workers and their order.
 */
export async function onWorkers<R>(options: PoolOptions<R>): Promise<Explored<R>> {
  const { modelSpec, job, total, workers, deadline, progress } = options;
  const shared = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  shared[CUTOFF] = NO_CUTOFF;
  const reports = new Map<number, R>();
  const chunks = new Map<number, number>();
  const data: WorkerData = { modelSpec, job, shared: shared.buffer as SharedArrayBuffer, total, deadline };
  // Each worker's isolate compiles the same simulator for itself; compiled on V8's
  // background threads, that work competes with the workers for the cores (a hunt on one
  // thread already kept 1.4 cores busy), and costs more CPU than compiling on the thread
  // that needs the code. Set before the workers' isolates are made, which read it then.
  setFlagsFromString('--no-concurrent-recompilation');
  const timer = progress && setInterval(() => progress(Atomics.load(shared, DONE)), 200);
  const started: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(workers, Math.ceil(total / CHUNK))) }, () =>
        work(data, started, (message) => {
          if (message.kind === 'chunk') chunks.set(message.first, message.done);
          else if (message.kind === 'report') {
            reports.set(message.position, message.report as R);
            const below = options.report(message.position, message.report as R);
            if (below < Atomics.load(shared, CUTOFF)) Atomics.store(shared, CUTOFF, below);
          }
        }),
      ),
    );
  } finally {
    if (timer) clearInterval(timer);
    // After a failed worker, the others are stopped too; finished ones are gone already.
    await Promise.all(started.map((w) => w.terminate()));
  }
  return {
    reports,
    ran: (position) => {
      const first = position - (position % CHUNK);
      return position - first < (chunks.get(first) ?? 0);
    },
  };
}

function work(data: WorkerData, started: Worker[], receive: (message: FromWorker) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, 'pool-worker', data);
    started.push(worker);
    let finished = false;
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'finished') return receive(message);
      finished = true;
      resolve();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (!finished) reject(new Error(`worker exited with code ${code} before finishing`));
    });
  });
}
