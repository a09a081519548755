import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Exploration, hunt, huntResult, type FailingRun, type HuntOptions, type HuntResult } from './hunt.js';
import { shardSize, WHOLE, type Shard } from './shard.js';

/** Run positions a worker takes at a time: small, so that workers stop soon after a failure below them is known. */
export const CHUNK = 16;

/** Slots of the array the workers share with the hunt. */
export const NEXT = 0;
/** The highest position any run still needs: above it, the hunt's outcome is already decided. */
export const CUTOFF = 1;
/** Runs done, for progress. */
export const DONE = 2;

const NO_CUTOFF = 2 ** 31 - 1;

export interface WorkerData {
  readonly modelSpec: string;
  readonly options: Omit<HuntOptions, 'model' | 'note' | 'stop' | 'progress'> & { readonly shard: Shard };
  readonly shared: SharedArrayBuffer;
  readonly total: number;
  readonly deadline: number;
}

export type FromWorker =
  | { readonly kind: 'failing'; readonly position: number; readonly failing: FailingRun }
  | { readonly kind: 'chunk'; readonly first: number; readonly done: number }
  | { readonly kind: 'finished' };

export interface WorkerHuntOptions extends Omit<HuntOptions, 'stop' | 'progress'> {
  /** How a worker loads the model: a built-in model's name or a model file's path, as `--model` takes it. */
  readonly modelSpec: string;
  /** Worker threads; 1 hunts in this thread. */
  readonly workers: number;
  /** No run starts past this wall-clock time (ms since the epoch). */
  readonly deadline?: number;
  /** Runs done and signatures found so far: after every run in this thread, a few times a second from workers. */
  readonly progress?: (done: number, found: number) => void;
}

/** The default `--workers`: every core this process may use. */
export const defaultWorkers = (): number => availableParallelism();

/**
 * A hunt whose runs are spread over worker threads, with the result of `hunt`: the
 * workers only report failing runs (index, signature, size), and this thread folds them
 * in the order of run indices (`Exploration`, the fold of `hunt` itself), then re-runs
 * and shrinks each kept run once. Whatever order the workers finish in, the fold sees the
 * same runs in the same order; the only runs it may lack are above the point where the
 * hunt stops, which is why workers may skip them.
 */
export async function huntOnWorkers(options: WorkerHuntOptions): Promise<HuntResult> {
  const { modelSpec, workers, deadline = Infinity, progress, ...huntOptions } = options;
  const maxFailures = options.maxFailures ?? 1;
  if (workers <= 1) {
    let done = 0;
    return hunt({
      ...huntOptions,
      stop: () => Date.now() > deadline,
      ...(progress ? { progress: (_run: number, found: number) => progress(done++, found) } : {}),
    });
  }
  const shard = options.shard ?? WHOLE;
  const total = shardSize(options.runs, shard);
  const shared = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  shared[CUTOFF] = NO_CUTOFF;
  const failing = new Map<number, FailingRun>();
  const chunks = new Map<number, number>();
  const cutoff = new Cutoff(maxFailures);
  const { model: _model, note: _note, ...cloneable } = huntOptions;
  const data: WorkerData = { modelSpec, options: { ...cloneable, shard }, shared: shared.buffer as SharedArrayBuffer, total, deadline };
  const timer = progress && setInterval(() => progress(Atomics.load(shared, DONE), cutoff.found), 200);
  const started: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(workers, Math.ceil(total / CHUNK))) }, () =>
        work(data, started, (message) => {
          if (message.kind === 'chunk') chunks.set(message.first, message.done);
          else if (message.kind === 'failing') {
            failing.set(message.position, message.failing);
            const below = cutoff.add(message.position, message.failing);
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
  const exploration = new Exploration(maxFailures);
  for (let position = 0; position < total && !exploration.done; position++) {
    const first = position - (position % CHUNK);
    // A chunk stopped early (deadline) ends what was explored, as the deadline ends a hunt in one thread.
    if (position - first >= (chunks.get(first) ?? 0)) break;
    exploration.add(position, failing.get(position));
  }
  return huntResult(huntOptions, exploration);
}

/**
 * Where the hunt stops, from the failing runs known so far, in whatever order they came:
 * the lowest position at which the known failures below it make `maxFailures` signatures.
 * A run found later can only lower it.
 */
class Cutoff {
  private readonly runs: { position: number; signature: string }[] = [];
  private readonly signatures = new Set<string>();

  constructor(private readonly maxFailures: number) {}

  /** Signatures found so far, wherever. */
  get found(): number {
    return this.signatures.size;
  }

  add(position: number, failing: FailingRun): number {
    if (failing.ignored) return NO_CUTOFF;
    this.signatures.add(failing.signature);
    if (!Number.isFinite(this.maxFailures)) return NO_CUTOFF;
    this.runs.push({ position, signature: failing.signature });
    this.runs.sort((a, b) => a.position - b.position);
    const seen = new Set<string>();
    for (const r of this.runs) {
      seen.add(r.signature);
      if (seen.size >= this.maxFailures) return r.position;
    }
    return NO_CUTOFF;
  }
}

const here = fileURLToPath(import.meta.url);
/** The worker's file beside this one: compiled JavaScript from dist, TypeScript from sources. */
const ENTRY = new URL(`./hunt-worker${extname(here)}`, import.meta.url);

/**
 * A worker running sources needs tsx's loader, and a loader given to this process
 * (`--import tsx`) does not reach workers on Node 20: the worker registers it itself.
 */
function startWorker(data: WorkerData): Worker {
  if (extname(here) !== '.ts') return new Worker(ENTRY, { workerData: data });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

function work(data: WorkerData, started: Worker[], receive: (message: FromWorker) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(data);
    started.push(worker);
    let finished = false;
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'finished') return receive(message);
      finished = true;
      resolve();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (!finished) reject(new Error(`hunt worker exited with code ${code} before finishing`));
    });
  });
}
