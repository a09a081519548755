import { runnerRates } from './runner.js';

/**
 * `recorder-pairs.ts STREAMS PAIRS`: the runner's events/s with and without the flight
 * recorder, in alternating pairs, in this process, which recorderFigures starts with the
 * sidecar's Node flags. Prints one JSON line: the ratios on / off, per second of wall time
 * and per CPU second of this process, and the CPU seconds it used in all.
 */
const [streams, pairs] = process.argv.slice(2).map(Number) as [number, number];
const rates = (recordEvents: number): { wall: number; cpu: number } => runnerRates(streams, 4, 'off', 500, recordEvents);
// Both ways once, not counted: the JIT has then seen the runner with and without the recorder.
rates(0);
rates(4_096);
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < pairs; i++) {
  // Which goes first alternates, so that a drift in the machine's speed favours neither.
  const first = i % 2 === 0 ? 0 : 4_096;
  const [a, b] = [rates(first), rates(4_096 - first)];
  const [off, on] = first === 0 ? [a, b] : [b, a];
  wall.push(on.wall / off.wall);
  cpu.push(on.cpu / off.cpu);
}
const used = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ wall, cpu, cpuS: (used.user + used.system) / 1e6 })}\n`);
