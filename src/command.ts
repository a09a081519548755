import { Command } from 'commander';
import { version } from './version.js';

/**
 * The common frame of the `tapa`, `tapa-sim` and `tapa-health-probe` command lines: `--version`, usage
 * errors exit 2 (or `usageExitCode`) with the help, and a reader closing stdout early
 * (`| head`) ends the command quietly instead of crashing it with EPIPE.
 */
export function command(name: string, description: string, usageExitCode = 2): Command {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return new Command(name)
    .description(description)
    .version(version(), '--version')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : usageExitCode))
    .showHelpAfterError();
}

/** Ends the command with one line on stderr. */
export function exit(name: string, message: string, code: number): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(code);
}
