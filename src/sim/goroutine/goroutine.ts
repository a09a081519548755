import { blockingFrame, parkFrames, type Parking } from './park.js';

/** Where a goroutine is, as a Go dump would classify it. */
export type GoroutineState =
  /** Started or woken: a scheduler task will run its next step. */
  | 'runnable'
  /** Parked on a mutex, WaitGroup or channel, with no task pending until something wakes it. */
  | 'blocked'
  /** In `sleep`, with a timer pending. */
  | 'sleeping'
  /** Part of a reported deadlock: never scheduled again. */
  | 'deadlocked'
  /** Its body returned. */
  | 'exited'
  /** Its body threw, or it broke a Go rule (see ModelError). */
  | 'panicked';

/** A lock a goroutine holds (a Mutex; its name is its lock class), with the stack that took it (lockdep's example). */
export interface Held {
  readonly mutex: { readonly name: string };
  readonly stack: readonly string[];
  /** Virtual ms when it was taken. */
  readonly since: number;
}

/** Key of the task that runs the op (or starts, or resumes); select cases use their index. */
export const RUN = -1;

/**
 * One goroutine of a model. Read its public getters; everything marked internal is the
 * runtime's bookkeeping and changes only inside it.
 */
export class Goroutine {
  /** From 1, in spawn order. */
  readonly id: number;
  /** The function it runs, as a Go dump names it; the outermost frame of its stack. */
  readonly name: string;
  /** `name#id`: unique, the scheduler actor, so PCT treats each goroutine as a thread. */
  readonly actor: string;
  /** Who ran the `go` statement; undefined when the test or the environment did. */
  readonly parent: Goroutine | undefined;

  /** @internal Its body; what it yields is checked by the runtime (an Op, see op.ts). */ readonly gen: Generator<
    unknown,
    unknown,
    unknown
  >;
  /** @internal Model frames, outermost first; `frames[0]` is `name`. */
  readonly frames: string[];
  /** @internal The op it yielded and waits to complete (read it as an Op with `opOf`); 'start' before its first step. */
  op: Parking | 'start' | undefined = 'start';
  /** @internal When `op` was yielded (a runtime counter): channel partners are taken in this order, as Go's FIFO queues do. */
  opSeq = 0;
  /** @internal A partner finished the op for it (a channel handoff, a WaitGroup reaching zero). */
  completed: { readonly value: unknown } | undefined;
  /** @internal Pending scheduler task ids, by RUN or select case index. */
  readonly tasks = new Map<number, number>();
  /** @internal No task is pending and the op cannot complete: parked. */
  parked = false;
  /** @internal When it last parked (a runtime counter), to name the goroutine that closed a cycle. */
  parkSeq = 0;
  /** @internal The runtime's tick when it was last looked at, -1 when its op changed since (see `Runtime.settle`). */
  seenAt = -1;
  /** @internal When it last parked, in virtual ms. */
  parkedAt = 0;
  /** @internal When its latest retry delays (a sleep, a `time.After`) ended, in virtual ms, oldest first; the stall detector's. */
  readonly delays: number[] = [];
  /** @internal */ frozen = false;
  /** @internal */ ended: 'exited' | 'panicked' | undefined;
  /** @internal Locks held, in acquisition order. */
  readonly held: Held[] = [];

  /** @internal Use `Runtime.go`. */
  constructor(id: number, name: string, parent: Goroutine | undefined, gen: Generator<unknown, unknown, unknown>) {
    this.id = id;
    this.name = name;
    this.actor = `${name}#${id}`;
    this.parent = parent;
    this.gen = gen;
    this.frames = [name];
  }

  get state(): GoroutineState {
    if (this.ended !== undefined) return this.ended;
    if (this.frozen) return 'deadlocked';
    if (typeof this.op === 'object' && this.op.kind === 'sleep') return 'sleeping';
    return this.parked ? 'blocked' : 'runnable';
  }

  /**
   * Its stack, innermost first. While parked, the innermost frame is the Go function it
   * is parked in (`sync.(*Mutex).Lock`, `sync.(*WaitGroup).Wait`, `runtime.chanrecv1`,
   * `runtime.selectgo`, ...), followed by the model frames.
   */
  get stack(): readonly string[] {
    const model = [...this.frames].reverse();
    const op = this.parkedOp();
    return op === undefined ? model : [blockingFrame(op), ...model];
  }

  /** The stack as a Go goroutine dump prints it, with the runtime frames of the park. */
  get dumpStack(): readonly string[] {
    const model = [...this.frames].reverse();
    const op = this.parkedOp();
    return op === undefined ? model : [...parkFrames(op), ...model];
  }

  /** Names of the mutexes it holds, in acquisition order. */
  get holds(): readonly string[] {
    return this.held.map((h) => h.mutex.name);
  }

  /** @internal The model stack plus `frame` as innermost. */
  stackAt(frame: string): string[] {
    // Taken at every lock: one list, not three.
    const stack = [frame];
    for (let i = this.frames.length - 1; i >= 0; i--) stack.push(this.frames[i]!);
    return stack;
  }

  private parkedOp(): Parking | undefined {
    const op = this.op;
    if (typeof op !== 'object') return undefined;
    if (op.kind === 'sleep' || this.parked || this.frozen) return op;
    return undefined;
  }
}

let running: Goroutine | undefined;

/** @internal The runtime sets it around each step; steps are synchronous, so one global is enough. */
export function setRunning(g: Goroutine | undefined): void {
  running = g;
}

/** The goroutine whose step is running now, if any. */
export function currentGoroutine(): Goroutine | undefined {
  return running;
}
