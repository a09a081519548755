import { recorderFigures } from './recorder-figures.js';
import { line, load, machine } from './report.js';

/** `npm run bench:recorder [-- --quick]`: the flight recorder's figures alone (see recorderFigures), in one run. */
const quick = process.argv.includes('--quick');
machine(quick);
await recorderFigures(quick);
line({ load_at_end: load() });
