import { cpus, loadavg } from 'node:os';

/**
 * How the bench reports: JSON lines, one per figure, each with the wall and CPU seconds it
 * took since the last (CPU far below wall means the machine was busy elsewhere), between
 * a line describing the machine with its load average and one with the load at the end.
 */
export const load = (): number[] => loadavg().map((x) => Number(x.toFixed(2)));

let since = { wall: performance.now(), cpu: process.cpuUsage() };

/** Wall and CPU seconds of this process since the last figure. */
export function spent(): { wall_s: number; cpu_s: number } {
  const cpu = process.cpuUsage(since.cpu);
  const out = {
    wall_s: Number(((performance.now() - since.wall) / 1000).toFixed(2)),
    cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  };
  since = { wall: performance.now(), cpu: process.cpuUsage() };
  return out;
}

export const line = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

export const figure = (o: object): void => line({ ...o, ...spent() });

export function machine(quick: boolean): void {
  line({ machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version }, quick, load_at_start: load() });
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A figure of ratios, one per run: their median, and the smallest and largest. `more`: other fields of the line. */
export function ratioFigure(name: string, note: string, ratios: readonly number[], more: object = {}): void {
  const sorted = [...ratios].sort((a, b) => a - b);
  figure({
    name,
    value: Number(median(sorted).toFixed(3)),
    min: Number(sorted[0]!.toFixed(3)),
    max: Number(sorted.at(-1)!.toFixed(3)),
    n: sorted.length,
    unit: 'ratio',
    note,
    ...more,
  });
}

/** How much of the events/s `cost` leaves: the same workload with and without it, in `n` alternating pairs. */
export function costRatio(name: string, note: string, n: number, without: () => number, withIt: () => number): void {
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    // Which goes first alternates, so that a drift in the machine's speed favours neither.
    if (i % 2 === 0) {
      const off = without();
      ratios.push(withIt() / off);
    } else {
      const on = withIt();
      ratios.push(on / without());
    }
  }
  ratioFigure(name, note, ratios);
}
