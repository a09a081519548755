import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker `name` that sits beside `beside` (an `import.meta.url`): compiled
 * JavaScript from dist, TypeScript from sources. A worker running sources needs tsx's
 * loader, and a loader given to this process (`--import tsx`) does not reach workers on
 * Node 20: the worker registers it itself.
 */
export function startWorker(beside: string, name: string, workerData: unknown): Worker {
  const extension = extname(fileURLToPath(beside));
  const entry = new URL(`./${name}${extension}`, beside);
  if (extension !== '.ts') return new Worker(entry, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
