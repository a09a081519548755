import { Command } from 'commander';
import { version } from './version.js';

/**
 * The common frame of the `tapa` and `tapa-sim` command lines: `--version`, usage
 * errors exit 2 with the help, and a reader closing stdout early (`| head`) ends the
 * command quietly instead of crashing it with EPIPE.
 */
export function command(name: string, description: string): Command {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return new Command(name)
    .description(description)
    .version(version(), '--version')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .showHelpAfterError();
}

/** Ends the command with one line on stderr. */
export function exit(name: string, message: string, code: number): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(code);
}
