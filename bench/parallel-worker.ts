import { parentPort, workerData } from 'node:worker_threads';

/**
 * A fixed amount of work, timed in its own thread: `compute` touches nothing but
 * registers; `allocate` makes short-lived objects as the simulator does, so that the
 * young generation's scavenges (and their helper threads) are in it.
 */
const { kind, units } = workerData as { kind: 'compute' | 'allocate'; units: number };
let sink = 0;
const t0 = performance.now();
if (kind === 'compute') {
  let x = 1;
  for (let i = 0; i < units * 1_000_000; i++) x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
  sink = x;
} else {
  let kept: { at: number; pair: number[]; key: string }[] = [];
  for (let i = 0; i < units * 100_000; i++) {
    kept.push({ at: i, pair: [i, i + 1], key: `k${i & 1023}` });
    if (kept.length > 2_000) kept = [];
    sink += kept.length;
  }
}
parentPort!.postMessage({ ms: performance.now() - t0, sink });
