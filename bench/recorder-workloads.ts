import { runnerRates } from './runner.js';

/**
 * `recorder-workloads.ts STREAMS RECORD_EVENTS TIMES`: the runner's workload (runnerRates'),
 * TIMES times over, with a flight recorder of RECORD_EVENTS events (0: none), and nothing
 * else; recorder-instructions.ts counts the instructions it takes.
 */
const [streams, recordEvents, times] = process.argv.slice(2).map(Number) as [number, number, number];
// A minimum of 0 ms: each call is one workload.
for (let i = 0; i < times; i++) runnerRates(streams, 4, 'off', 0, recordEvents);
