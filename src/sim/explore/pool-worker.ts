import { parentPort, workerData } from 'node:worker_threads';
import { isModelPath, loadModelFile } from '../cli/model-file.js';
import { MODELS } from '../models/index.js';
import { tryRun } from './hunt.js';
import { CHUNK, CUTOFF, DONE, NEXT, type FromWorker, type WorkerData } from './pool.js';
import { searchRunner } from './reproduce.js';
import { nthRun } from './shard.js';

/**
 * A worker of a pool: takes the next chunk of positions from the shared counter, runs
 * them while they are below the cutoff and the deadline, and tells what the job reports
 * and how far each chunk got.
 */
const data = workerData as WorkerData;
const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);
const shared = new Int32Array(data.shared);
const model = isModelPath(data.modelSpec) ? (await loadModelFile(data.modelSpec)).model : MODELS.get(data.modelSpec);
if (!model) throw new Error(`worker: unknown model ${data.modelSpec}`);
const job = data.job;
const run: (position: number) => unknown =
  job.kind === 'hunt'
    ? (position) => tryRun({ ...job.options, model }, nthRun(job.options.shard, position))
    : searchRunner(model, job.options);
for (;;) {
  const first = Atomics.add(shared, NEXT, 1) * CHUNK;
  if (first >= data.total || first > Atomics.load(shared, CUTOFF)) break;
  const end = Math.min(first + CHUNK, data.total);
  let position = first;
  for (; position < end && position <= Atomics.load(shared, CUTOFF) && Date.now() <= data.deadline; position++) {
    const report = run(position);
    if (report !== undefined) post({ kind: 'report', position, report });
    Atomics.add(shared, DONE, 1);
  }
  post({ kind: 'chunk', first, done: position - first });
  if (position < end) break;
}
post({ kind: 'finished' });
