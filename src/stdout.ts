/**
 * `tapa-sim ... | head` closes our stdout early; that is the reader's choice, not an
 * error, so end quietly instead of crashing with EPIPE.
 */
export function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
