/**
 * One atomic step of the simulated world that is waiting to run: deliver an event to a
 * TAPA, let the NSP or NSM model answer a call, fire a timer. Running it may create
 * more tasks; nothing inside `run` may block or look at a real clock.
 */
interface TaskBase {
  /** Creation order. Ties are always broken by id, so a run never depends on Map or heap internals. */
  readonly id: number;
  /** Who runs it ("tapa-1", "nsp", "nsm", "app"); PCT treats each actor as one thread. */
  readonly actor: string;
  /** Human text for the event log; replay compares logs, so keep it deterministic. */
  readonly label: string;
  readonly run: () => void;
}

/** A message or action that may run now. */
export interface ImmediateTask extends TaskBase {
  readonly kind: 'immediate';
  /** Virtual time at which it became ready, for the bounded-latency rule in the scheduler. */
  readonly readyAt: number;
}

/** A timer; running it moves the virtual clock to `due`. */
export interface TimerTask extends TaskBase {
  readonly kind: 'timer';
  /** Virtual milliseconds. */
  readonly due: number;
}

export type Task = ImmediateTask | TimerTask;
