import type { CallError, TapaState, WorldView } from '../../core/index.js';
import type { NspTarget, StreamStatus, TapStream } from '../../core/wire.js';
import type { Environment } from '../world/environment.js';
import type { Runtime, RuntimeObserver, RuntimeOptions } from '../goroutine/index.js';
import type { Start } from './start.js';

/** A TAPA under test inside a simulated world: the core, or a lock-level model of Go code. */
export interface TapaUnderTest {
  /** Also its actor name for the scheduler. */
  readonly name: string;
  /** A Tap.Open reaches the TAPA; the answer goes to the `reply` it was created with. */
  open(request: number, stream: TapStream): void;
  close(request: number, stream: TapStream): void;
  /** A Tap.Watch subscription; every message it sends goes to `message`. */
  watch(watcher: number, filter: TapStream | undefined, message: (statuses: readonly StreamStatus[]) => void): void;
  /**
   * The process is told to stop (SIGTERM, or Tap.Delete in Go): it gives back what it holds
   * in the world (targets, NSM connections) and calls `done` once that is over. The
   * application makes no Tap call to it afterwards; a `done` that never comes is a hang.
   */
  shutdown(done: () => void): void;
  /** Broken internal rules, checked after every step the TAPA takes. */
  invariants(): string[];
  /** Why this TAPA is not where it should be given the world (empty: converged). */
  divergences(view: WorldView): string[];
  /** Does this TAPA know it may hold this NSP target (registered, or a call about it in flight)? */
  holds(target: NspTarget): boolean;
  /**
   * Lock-level models: their goroutines, which the harness watches for deadlocks, stalls
   * and lock-order cycles, and dumps into every deadlock, stall and hang report.
   */
  readonly runtime?: Runtime;
}

export interface TapaSpec {
  readonly name: string;
  readonly node: string;
  readonly seed: number;
  readonly reply: (request: number, error?: CallError) => void;
  /** Lock-level models show it their goroutines (a swimlane picture); absent in hunts. */
  readonly goroutines?: RuntimeObserver;
  /** How a lock-level model's goroutine runtime settles after a step (see RuntimeOptions). */
  readonly settle?: RuntimeOptions['settle'];
  /** False: the run never asks a lock-level model for lock-order cycles (see RuntimeOptions). */
  readonly lockOrder?: boolean;
  /** Begin as this recorded core (harness/start.ts), given only to models that `resume`. */
  readonly restore?: { readonly state: TapaState } & Pick<Start, 'resume' | 'lost'>;
}

export interface Model {
  readonly name: string;
  /**
   * False for models judged on deadlocks and hangs only (a lock-level model of Go code
   * keeps Go's liveness quirks on purpose): runs of them never fail for not converging.
   */
  readonly converges?: boolean;
  /**
   * The longest a Tap call may legitimately wait on this model's own timeouts (Go's
   * MERIDIO_TIMEOUT, a Stop's timeout, ...), in virtual ms; the hang bound is derived from
   * it (run.ts, `hangBound`). Default: DEFAULTS.longestWaitMs.
   */
  readonly longestWaitMs?: number;
  /**
   * False for models that leave out NSM's client chain (its begin client keeps a
   * connection's path between Requests): NSM's path rules (nsm.ts) are not held against
   * them. Default: true.
   */
  readonly keepsNsmPaths?: boolean;
  /** Can begin from a core's recorded state (`TapaSpec.restore`): the core in the runner can, a model of Go code cannot. */
  readonly resumes?: boolean;
  create(env: Environment, spec: TapaSpec): TapaUnderTest;
}
