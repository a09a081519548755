#!/usr/bin/env node
import { Command } from 'commander';
import { endQuietlyOnClosedPipe } from '../stdout.js';
import { version } from '../version.js';

// The sidecar's command line. `serve` and the client commands arrive with the gRPC shell;
// until then an unknown command is a usage error (exit 2), never a silent success.
endQuietlyOnClosedPipe();

const program = new Command('tapa')
  .description("Meridio's Target Access Point Ambassador: a drop-in for the Go TAPA sidecar")
  .version(version(), '--version')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .showHelpAfterError();

program.action(() => {
  program.outputHelp();
  process.exit(2);
});

program.parse();
