import { recorderHeapMb, runnerRates } from './runner.js';
import { figure, median, ratioFigure } from './report.js';
import { recorderOpenRttRatios } from './sidecar-figures.js';

/**
 * The flight recorder's three figures, side by side: its cost on the runner's events/s at
 * 1,000 and 10,000 streams and on Tap.Open RTT p99, each with and without it in
 * alternating pairs (ratios, so that a busy machine slows both alike), and the heap it
 * holds at 10,000 streams.
 */
export async function recorderFigures(quick: boolean): Promise<void> {
  const pairs = quick ? 3 : 7;
  for (const streams of [1_000, 10_000]) {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const off = runnerRates(streams, 4, 'off', 500, 0);
      const on = runnerRates(streams, 4, 'off', 500, 4_096);
      wall.push(on.wall / off.wall);
      cpu.push(on.cpu / off.cpu);
    }
    ratioFigure(
      `runner.recorder_cost_ratio.streams_${streams}`,
      'events/s with the flight recorder (MERIDIO_RECORD_EVENTS=4096, the default) over events/s without, alternating pairs; cpu_*: events per CPU second of the bench process; goal >= 0.95',
      wall,
      {
        cpu_median: Number(median(cpu).toFixed(3)),
        cpu_min: Number(Math.min(...cpu).toFixed(3)),
        cpu_max: Number(Math.max(...cpu).toFixed(3)),
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
  const [rounds, samples, warmup] = quick ? [3, 300, 100] : [5, 1_000, 500];
  ratioFigure(
    'sidecar.recorder_open_rtt_ratio_p99',
    `Tap.Open RTT p99 with the flight recorder over without, two sidecars, Opens alternating between them, ${rounds} rounds of ${samples} each after ${warmup} not counted; goal <= 1.05`,
    await recorderOpenRttRatios(rounds, samples, warmup),
  );
}
