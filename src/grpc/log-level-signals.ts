/**
 * SIGUSR1 and SIGUSR2, taken from Node as soon as this module is loaded, which the command line
 * does before anything else. Until then Node gives them meanings that must never apply to a
 * sidecar: SIGUSR1 starts the inspector on 127.0.0.1:9229, which every container of the pod can
 * reach (they share the network namespace), and SIGUSR2 ends the process, its default action.
 * A listener of our own replaces both (Node's documentation: a SIGUSR1 listener stands in for
 * the debugger's; this holds on Node 20, where --disable-sigusr1 does not exist yet).
 *
 * What the signals then do is given later, once there is a logger (log.ts: as the Go TAPA,
 * SIGUSR1 restores the configured level and SIGUSR2 sets TRACE); a signal that comes before is
 * kept and handled then. The module imports nothing, so that it is loaded in no time.
 */

export type LevelSignal = 'SIGUSR1' | 'SIGUSR2';

let handler: ((signal: LevelSignal) => void) | undefined;
let early: LevelSignal | undefined;

for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) {
  process.on(signal, () => {
    if (handler === undefined) early = signal;
    else handler(signal);
  });
}

/** From now on, SIGUSR1 and SIGUSR2 go to `handle`, starting with one that came before. */
export function onLevelSignals(handle: (signal: LevelSignal) => void): void {
  handler = handle;
  if (early !== undefined) handle(early);
  early = undefined;
}
