import type { LogLevel } from './config.js';
import { changeLevel, type Logger } from './log.js';

/**
 * SIGUSR1 and SIGUSR2 as the Go TAPA has them: SIGUSR1 sets the log level back to the
 * configured one (MERIDIO_LOG_LEVEL), SIGUSR2 sets it to TRACE; nothing else.
 *
 * Node gives both signals meanings that must never apply to a sidecar: SIGUSR1 starts the
 * inspector on 127.0.0.1:9229, which every container of the pod can reach (they share the
 * network namespace), and SIGUSR2 ends the process, its default action. A listener of our
 * own replaces both (Node's documentation: a SIGUSR1 listener stands in for the debugger's;
 * this holds on Node 20, where --disable-sigusr1 does not exist yet). The listeners are
 * installed when this module is loaded, which the command line does first, so that Node's
 * meanings do not apply while the sidecar starts or waits for its SVID either; a signal
 * that comes before the logger is kept and applied when the logger is given.
 */

type Wanted = LogLevel | 'configured';

const LEVEL_ON: Readonly<Record<'SIGUSR1' | 'SIGUSR2', Wanted>> = { SIGUSR1: 'configured', SIGUSR2: 'TRACE' };

let target: { readonly log: Logger; readonly configured: LogLevel } | undefined;
let early: Wanted | undefined;

function apply(wanted: Wanted): void {
  if (target === undefined) early = wanted;
  else changeLevel(target.log, wanted === 'configured' ? target.configured : wanted);
}

for (const [signal, wanted] of Object.entries(LEVEL_ON)) process.on(signal, () => apply(wanted));

/** From now on, the signals change the level of `log`; `configured` is the level SIGUSR1 restores. */
export function changeLevelOnSignals(log: Logger, configured: LogLevel): void {
  target = { log, configured };
  if (early !== undefined) apply(early);
  early = undefined;
}
