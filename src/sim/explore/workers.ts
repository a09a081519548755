import { availableParallelism } from 'node:os';
import { Exploration, hunt, huntResult, type FailingRun, type HuntOptions, type HuntResult } from './hunt.js';
import { NO_CUTOFF, onWorkers } from './pool.js';
import { shardSize, WHOLE } from './shard.js';

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
  const cutoff = new Cutoff(maxFailures);
  const { model: _model, note: _note, ...cloneable } = huntOptions;
  const explored = await onWorkers<FailingRun>({
    modelSpec,
    job: { kind: 'hunt', options: { ...cloneable, shard } },
    total,
    workers,
    deadline,
    report: (position, failing) => cutoff.add(position, failing),
    ...(progress ? { progress: (done: number) => progress(done, cutoff.found) } : {}),
  });
  const exploration = new Exploration(maxFailures);
  for (let position = 0; position < total && !exploration.done && explored.ran(position); position++)
    exploration.add(position, explored.reports.get(position));
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
