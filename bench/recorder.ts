import { recorderFigures } from './recorder-figures.js';
import { runnerEventsPerSecond } from './runner.js';
import { line, load, machine, spent } from './report.js';

/** `npm run bench:recorder [-- --quick]`: the flight recorder's figures alone (see recorderFigures), in one run. */
const quick = process.argv.includes('--quick');
machine(quick);
for (const streams of [1_000, 10_000]) runnerEventsPerSecond(streams, 2);
spent();
await recorderFigures(quick);
line({ load_at_end: load() });
