import { step, type Changes, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
import { LOOP_STUCK } from './recorder.js';

/** What the runner steps: the core, or for tests of what production does when it breaks, a broken one. */
export type Core = (state: TapaState, event: TapaEvent, changes?: Changes) => TapaEffect[];

/**
 * Cores broken on purpose, so that a test can see the sidecar notice a broken invariant
 * and dump a recording of it. Not reachable from the command line or the environment; a
 * recording names the fault it ran with, so that its replay runs the same core.
 */
const FAULTS = {
  // Counts an Open of a stream that is already open as one more wanted stream.
  'counts-reopen': (state: TapaState, event: TapaEvent, changes?: Changes): TapaEffect[] => {
    const names = event.kind === 'tapOpen' ? event.stream : undefined;
    const conduit = state.trenches.get(names?.conduit?.trench?.name ?? '')?.conduits.get(names?.conduit?.name ?? '');
    const open = conduit?.streams.get(names?.name ?? '')?.wanted === true;
    const effects = step(state, event, changes);
    if (conduit && open) conduit.wanted++;
    return effects;
  },
  // Holds the event loop on every Close, the way a core stuck in a loop would, until the
  // watchdog has made the stuck loop emit LOOP_STUCK (by then the sidecar has its dump);
  // a minute at most, should no watchdog come.
  'spins-on-close': (state: TapaState, event: TapaEvent, changes?: Changes): TapaEffect[] => {
    if (event.kind === 'tapClose') {
      let released = false;
      const release = (): void => void (released = true);
      process.once(LOOP_STUCK, release);
      for (const end = Date.now() + 60_000; !released && Date.now() < end;);
      process.off(LOOP_STUCK, release);
    }
    return step(state, event, changes);
  },
} as const satisfies Record<string, Core>;

export type CoreFault = keyof typeof FAULTS;

export function isCoreFault(name: unknown): name is CoreFault {
  return typeof name === 'string' && Object.hasOwn(FAULTS, name);
}

export function coreOf(fault: CoreFault | undefined): Core {
  return fault === undefined ? step : FAULTS[fault];
}
