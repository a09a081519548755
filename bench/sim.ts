import { coreModel } from '../dist/sim/models/core.js';
import { runScenario } from '../dist/sim/harness/run.js';
import type { Scenario, Step } from '../dist/sim/harness/scenario.js';

/**
 * The standard scenario of the simulator figures, the shape of the embedded world: two
 * TAPAs each open 3 streams over 2 conduits (stream-a1, stream-a2, stream-b1; maxTargets 2,
 * so they contend for identifiers), one watches, and they live through an NSM heal, a
 * DOWN, an NSP wipe, an NSP outage, NSM errors and a VIP change, then one closes and
 * re-opens a stream. One fixed world, so the figures measure the harness, not a mix.
 */
const OPEN_3: readonly Step[] = [0, 1].flatMap(
  (a) =>
    [
      { at: 300 * a, kind: 'open', a, b: 0, c: 0 },
      { at: 300 * a, kind: 'open', a, b: 0, c: 1 },
      { at: 300 * a, kind: 'open', a, b: 1, c: 0 },
    ] as const,
);

export const STANDARD: Scenario = {
  tapas: 2,
  conduits: 2,
  streams: 2,
  maxTargets: 2,
  faultyProxy: false,
  steps: [
    { at: 0, kind: 'watch', a: 0, b: 0, c: 0 },
    ...OPEN_3,
    { at: 4_000, kind: 'heal', a: 0, b: 0, c: 0 },
    { at: 6_000, kind: 'vips', a: 0, b: 1, c: 2 },
    { at: 8_000, kind: 'nspRestart', a: 0, b: 0, c: 1 },
    { at: 10_000, kind: 'down', a: 1, b: 1, c: 0 },
    { at: 12_000, kind: 'nspOutage', a: 0, b: 0, c: 1 },
    { at: 16_000, kind: 'nsmErrors', a: 0, b: 0, c: 0 },
    { at: 20_000, kind: 'close', a: 0, b: 0, c: 1 },
    { at: 21_000, kind: 'open', a: 0, b: 0, c: 1 },
  ],
};

/** Runs STANDARD on the core under `runs` random schedules (seeds 1..runs); every run must pass. */
export function simThroughput(runs: number): { schedulesPerSec: number; stepsPerSec: number } {
  const model = coreModel();
  let steps = 0;
  const t0 = process.hrtime.bigint();
  for (let seed = 1; seed <= runs; seed++) {
    const r = runScenario(STANDARD, { model, strategy: { kind: 'random', seed }, seed });
    if (r.failure) throw new Error(`the standard scenario failed under seed ${seed}: ${r.failure.kind}: ${r.failure.message}`);
    steps += r.log.length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { schedulesPerSec: runs / seconds, stepsPerSec: steps / seconds };
}
