import { spawnSync } from 'node:child_process';
import { SIDECAR_NODE_FLAGS } from '../src/grpc/node-flags.js';
import { recorderHeapMb } from './runner.js';
import { figure, median, ratioFigure } from './report.js';
import { recorderOpenRttRatios, recorderSidecarCpuRatios } from './sidecar-figures.js';

/**
 * The flight recorder's figures, side by side: its cost on the runner's events/s at 1,000
 * and 10,000 streams, on the sidecar's CPU time to open as many, and on Tap.Open RTT p99,
 * each with and without it in alternating pairs (ratios, so that a busy machine slows both
 * alike), and the heap it holds at 10,000 streams. The events/s pairs run in a process of
 * their own started with the sidecar's Node flags (recorderPairs).
 */
export async function recorderFigures(quick: boolean): Promise<void> {
  for (const streams of [1_000, 10_000]) {
    // At 1,000 streams a pair takes a second and its ratio spreads over 15 %: many more of them.
    const pairs = quick ? 3 : streams === 1_000 ? 21 : 7;
    const { wall, cpu, cpuS } = recorderPairs(streams, pairs);
    ratioFigure(
      `runner.recorder_cost_ratio.streams_${streams}`,
      `events/s with the flight recorder (MERIDIO_RECORD_EVENTS=4096, the default) over events/s without, alternating pairs, in a process with the sidecar's Node flags (${SIDECAR_NODE_FLAGS.join(' ')}); cpu_*: per CPU second of that process; goal >= 0.95`,
      wall,
      {
        cpu_median: Number(median(cpu).toFixed(3)),
        cpu_min: Number(Math.min(...cpu).toFixed(3)),
        cpu_max: Number(Math.max(...cpu).toFixed(3)),
        // cpu_s is this process's: the pairs ran in the child.
        child_cpu_s: Number(cpuS.toFixed(2)),
      },
    );
  }
  figure({
    name: 'runner.recorder_heap_mb.streams_10000',
    value: Number(recorderHeapMb(10_000, 4, 4_096).toFixed(1)),
    state_copy_mb: Number(recorderHeapMb(10_000, 4, 4).toFixed(1)),
    unit: 'MB',
    note: 'heap the flight recorder holds once 10,000 streams are open and refreshed: heap after GC with it minus without; state_copy_mb: the same with a ring of 4 events, about the copy of the state alone',
  });
  const sidecarPairs: readonly (readonly [number, number])[] = quick
    ? [[1_000, 3]]
    : [
        [1_000, 9],
        [10_000, 3],
      ];
  for (const [streams, pairs] of sidecarPairs) {
    ratioFigure(
      `sidecar.recorder_cpu_ratio.open_${streams}`,
      `the sidecar process's CPU seconds to open ${streams} streams over 10 conduits until all are ENABLED, without the flight recorder over with it (MERIDIO_RECORD_EVENTS=0 and 4096), a new pair of sidecars for each ratio, run one after the other, which goes first alternating; goal >= 0.95`,
      await recorderSidecarCpuRatios(pairs, streams),
    );
  }
  const [rounds, samples, warmup] = quick ? [3, 300, 100] : [5, 1_000, 500];
  ratioFigure(
    'sidecar.recorder_open_rtt_ratio_p99',
    `Tap.Open RTT p99 with the flight recorder over without, two sidecars, Opens alternating between them, ${rounds} rounds of ${samples} each after ${warmup} not counted; goal <= 1.05`,
    await recorderOpenRttRatios(rounds, samples, warmup),
  );
}

/**
 * recorder-pairs.ts in a process of its own, with the sidecar's Node flags: what the
 * recorder costs is mostly the garbage collector's work, which those flags size (a small
 * young generation promotes sooner), and which the bench's own heap would add to.
 */
function recorderPairs(streams: number, pairs: number): { wall: number[]; cpu: number[]; cpuS: number } {
  const script = new URL('./recorder-pairs.ts', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [...SIDECAR_NODE_FLAGS, '--import', 'tsx', script, String(streams), String(pairs)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the recorder's pairs at ${streams} streams exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as { wall: number[]; cpu: number[]; cpuS: number };
}
