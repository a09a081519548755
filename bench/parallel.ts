import { startWorker } from '../src/worker-thread.js';

type Kind = 'compute' | 'allocate';

/**
 * What two threads of this machine do at once, against one: the same fixed work in one
 * thread, then in two at the same time, in alternating pairs; the ratio is how much more
 * work two threads got done per second (2.0: two whole cores). It is the ceiling any
 * two-worker figure measured in the same run can reach, on a shared VM whose second core
 * may not be whole.
 */
export async function parallelSpeedups(kind: Kind, pairs: number): Promise<number[]> {
  const units = kind === 'compute' ? 400 : 200;
  await timed(kind, units, 1);
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const one = await timed(kind, units, 1);
    const two = await timed(kind, units, 2);
    ratios.push((2 * one) / two);
  }
  return ratios;
}

/** Wall ms for `threads` threads each doing `units` of work at once. */
async function timed(kind: Kind, units: number, threads: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = startWorker(import.meta.url, 'parallel-worker', { kind, units });
          worker.once('message', () => resolve());
          worker.once('error', reject);
        }),
    ),
  );
  return performance.now() - t0;
}
