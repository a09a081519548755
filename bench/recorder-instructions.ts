import { spawn, spawnSync } from 'node:child_process';
import { SIDECAR_NODE_FLAGS } from '../src/grpc/node-flags.js';
import { figure } from './report.js';

/** Workloads in the short and the long process: the figure is per workload of the difference. */
const [FEW, MANY] = [2, 14];

/**
 * The flight recorder's cost on the runner's events/s at `streams` streams, counted in
 * instructions rather than timed. Timed, at 1,000 streams, one pair of runs spread from 0.74
 * to 1.02 on an idle machine, which no number of pairs on a shared machine narrows to a
 * percent; the instructions a process executes under valgrind's callgrind are the same from
 * run to run to about a percent, whatever else the machine is doing.
 *
 * The workload runs FEW and MANY times, with and without the recorder, each in a process of
 * its own under callgrind: the difference of a long and a short process leaves out what
 * starting Node and compiling cost, and is divided by MANY - FEW. The processes run with
 * the sidecar's Node flags and --single-threaded, so that the garbage collector's work,
 * most of what the recorder costs, is done on the one thread and counted the same each run,
 * and with V8's hash and random seeds fixed. Instructions are not time (a cache miss costs
 * more than an add), so this complements the timed figure rather than replacing it.
 */
export async function recorderInstructionFigure(streams: number, recordEvents: number): Promise<void> {
  const name = `runner.recorder_cost_ratio_instructions.streams_${streams}`;
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    figure({ name, skipped: 'valgrind is not installed (Debian: apt-get install valgrind)' });
    return;
  }
  const runs = [0, recordEvents].flatMap((events) => [FEW, MANY].map((times) => ({ events, times })));
  // All at once: how many share a core changes how long they take, not what they count.
  const counts = await Promise.all(runs.map((r) => instructions(streams, r.events, r.times)));
  const count = (events: number, times: number): number => counts[runs.findIndex((r) => r.events === events && r.times === times)]!;
  const perWorkload = (events: number): number => (count(events, MANY) - count(events, FEW)) / (MANY - FEW);
  const [off, on] = [perWorkload(0), perWorkload(recordEvents)];
  figure({
    name,
    value: Number((off / on).toFixed(3)),
    n: MANY - FEW,
    unit: 'ratio',
    instructions_per_workload_without: Math.round(off),
    instructions_per_workload_with: Math.round(on),
    note: `instructions per workload without the flight recorder (MERIDIO_RECORD_EVENTS=${recordEvents}) over with it, under callgrind: the runner's workload ${MANY} times less ${FEW} times, each count in a process of its own (node ${SIDECAR_NODE_FLAGS.join(' ')} --single-threaded); n: workloads counted; goal >= 0.95`,
  });
}

/** Instructions a process running the workload `times` times executes, as callgrind counts them. */
function instructions(streams: number, recordEvents: number, times: number): Promise<number> {
  const script = new URL('./recorder-workloads.ts', import.meta.url).pathname;
  const args = [
    '--tool=callgrind',
    '--callgrind-out-file=/dev/null',
    process.execPath,
    ...SIDECAR_NODE_FLAGS,
    '--single-threaded',
    '--hash-seed=1',
    '--random-seed=1',
    '--import',
    'tsx',
    script,
    String(streams),
    String(recordEvents),
    String(times),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (code === 0 && collected) resolve(Number(collected[1]));
      else
        reject(
          new Error(
            `callgrind of ${times} workloads at ${streams} streams (recorder ${recordEvents}) exited ${code}: ${stderr.slice(-2000)}`,
          ),
        );
    });
  });
}
