#!/usr/bin/env node
import { Command } from 'commander';
import { endQuietlyOnClosedPipe } from '../../stdout.js';
import { version } from '../../version.js';
import { demo } from '../demo.js';

endQuietlyOnClosedPipe();

const program = new Command('tapa-sim')
  .description('Deterministic simulation of the TAPA: hunt for deadlocks and liveness bugs, replay traces')
  .version(version(), '--version')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .showHelpAfterError();

program
  .command('demo')
  .description('walk the TAPA core through open, an NSM IP change and shutdown')
  .action(() => demo((line) => process.stdout.write(`${line}\n`)));

program.parse();
