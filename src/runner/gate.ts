import type { CallError } from '../core/index.js';
import type { Cancellable } from './transport.js';

export interface GateEntry {
  readonly start: (release: () => void, answered: (error?: CallError) => void) => Cancellable;
  /** Lower goes first. */
  readonly priority: number;
  /** When the caller gives up on the call, on the gate's clock. */
  readonly deadline: number;
  /** The whole deadline, from entering: what "timely" is measured against. */
  readonly deadlineMs: number;
  readonly tooLate: ((message: string) => void) | undefined;
  call?: Cancellable;
  release?: () => void;
}

/** How a call enters the gate. */
export interface Admission {
  /** Lower goes first; 0 by default. */
  readonly priority?: number;
  /**
   * The caller gives up `ms` after entering (never, by default). `tooLate` is told,
   * instead of the call starting, when less of that is left than the NSP takes to answer
   * these days: sent, the call would only load the NSP and expire.
   */
  readonly deadline?: { readonly ms: number; readonly tooLate: (message: string) => void };
}

/**
 * What an answer of the NSP says about its load: `timely` (a success well within its
 * deadline), `overloaded` (no answer in time, unavailable or out of resources), or
 * nothing either way.
 */
export type Verdict = 'timely' | 'overloaded' | 'neutral';

/** Refusals that mean "fewer calls at once, please"; any other error is about the call itself. */
const OVERLOAD: ReadonlySet<CallError['code']> = new Set(['DEADLINE_EXCEEDED', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED']);

/**
 * A success that took more than this share of its deadline waited at the NSP: it says
 * the NSP keeps up, but not that it would keep up with more. A deadline that passed
 * before the NSP had this share of it says nothing about the NSP: the call spent its
 * time queued at our own gate, and to cut the limit for it would queue the next ones
 * longer still (the sidecar's figure collapsed so).
 */
const TIMELY_SHARE = 1 / 4;

/** Weight of the newest answer in the NSP's service time, as TCP's smoothed round-trip time (RFC 6298). */
const SERVICE_GAIN = 1 / 8;

/**
 * While calls of several priorities wait, one start in this many goes to the second
 * priority: keep-alives go first, but when they alone would use up the NSP (a refresh
 * period shorter than the NSP can serve), acquisitions still proceed and the refresh
 * period stretches instead.
 */
const SHARE = 4;

/**
 * `tookMs`: from the call's start at the NSP (not from entering the gate) to its answer
 * or its deadline.
 */
export function verdictOf(error: CallError | undefined, tookMs: number, deadlineMs: number): Verdict {
  const early = tookMs <= deadlineMs * TIMELY_SHARE;
  if (!error) return early ? 'timely' : 'neutral';
  if (error.code === 'DEADLINE_EXCEEDED' && early) return 'neutral';
  return OVERLOAD.has(error.code) ? 'overloaded' : 'neutral';
}

/**
 * At most `limit` calls in flight; the rest wait, by priority (see SHARE), then in arrival order. A
 * sidecar with thousands of streams would otherwise open thousands of HTTP/2 streams to
 * one NSP at once, and cancel as many (Meridio's get-targets is a Watch dropped after its
 * first message): an HTTP/2 peer may take such a burst of resets for a flood and close the
 * whole connection, failing every call on it.
 *
 * The limit follows the NSP's answers, as TCP's congestion window follows acks (AIMD): a
 * timely success adds one call per limit's worth of them, an overloaded answer halves
 * it, once per round (answers to calls that started before the last cut do not cut
 * again), between 1 and `max`. An NSP that slows down or refuses thus gets fewer calls
 * at once instead of every call timing out together. Answers are timed from the call's
 * start, never from its entering the gate: queueing here is ours, not the NSP's. A
 * queued call that has less of its deadline left than the NSP's recent service time is
 * not started at all. The limit depends only on the answers and their times on the
 * transport's clock, so a run replays.
 */
export class Gate {
  private running = 0;
  private next = 0;
  /** Calls started so far; numbers the rounds of the limit. */
  private started = 0;
  /** `started` when the limit was last cut: answers to calls started before it do not cut again. */
  private cutAt = 0;
  private window: number;
  /** Starts while more than one priority had calls waiting; every SHARE-th goes to the second. */
  private turns = 0;
  /** Waiting calls by priority, each in arrival order. */
  private readonly waiting: Map<number, GateEntry>[] = [];

  /** The NSP's recent time from a call's start to its answer, smoothed; none before the first answer. */
  private serviceMs: number | undefined;

  /** `now`: the transport's clock, so that simulated runs replay. */
  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {
    this.window = max;
  }

  /** Calls let through at once now. */
  get limit(): number {
    return Math.floor(this.window);
  }

  /** Nothing in flight or waiting. */
  get idle(): boolean {
    return this.running === 0 && this.waiting.every((queue) => queue.size === 0);
  }

  /**
   * Starts the call now or later, or never if it is too late (see Admission); `release`
   * must be called once when it is over, and `answered` may be, once, when the NSP has
   * answered (the first message of a stream) or the deadline has passed, with the error
   * if any: how long that took from the start tells the NSP's load.
   */
  enter(start: GateEntry['start'], admission: Admission = {}): Cancellable {
    const id = this.next++;
    const { priority = 0, deadline } = admission;
    const deadlineMs = deadline?.ms ?? Infinity;
    const entry: GateEntry = { start, priority, deadline: this.now() + deadlineMs, deadlineMs, tooLate: deadline?.tooLate };
    (this.waiting[priority] ??= new Map()).set(id, entry);
    this.pump();
    return { cancel: () => this.cancel(id, entry) };
  }

  /** A call not started yet simply never will be; one in flight is stopped and gives back its place. */
  protected cancel(id: number, entry: GateEntry): void {
    if (this.waiting[entry.priority]?.delete(id)) return;
    entry.call?.cancel();
    entry.release?.();
  }

  private judge(error: CallError | undefined, tookMs: number, entry: GateEntry, round: number): void {
    if (!error) this.serviceMs = this.serviceMs === undefined ? tookMs : this.serviceMs + (tookMs - this.serviceMs) * SERVICE_GAIN;
    const verdict = verdictOf(error, tookMs, entry.deadlineMs);
    if (verdict === 'timely') this.window = Math.min(this.max, this.window + 1 / this.window);
    else if (verdict === 'overloaded' && round >= this.cutAt) {
      this.window = Math.max(1, this.window / 2);
      this.cutAt = this.started;
    }
    this.pump();
  }

  private pump(): void {
    while (this.running < this.limit) {
      const queue = this.nextQueue();
      if (!queue) return;
      const [id, entry] = queue.entries().next().value!;
      queue.delete(id);
      // What the caller will not wait for is failed here, and says nothing about the NSP.
      const left = entry.deadline - this.now();
      if (this.serviceMs !== undefined && left < this.serviceMs) {
        entry.tooLate?.(`not sent: ${left} ms of its deadline left, the NSP answers in about ${Math.round(this.serviceMs)} ms`);
        continue;
      }
      this.running++;
      const round = this.started++;
      const startedAt = this.now();
      let released = false;
      let judged = false;
      entry.release = () => {
        if (released) return;
        released = true;
        this.running--;
        this.pump();
      };
      entry.call = entry.start(entry.release, (error) => {
        if (judged) return;
        judged = true;
        this.judge(error, this.now() - startedAt, entry, round);
      });
    }
  }

  /**
   * The waiting calls of the first priority, except that one start in SHARE goes to the
   * next priority that has calls waiting: the first never starves the others completely.
   */
  private nextQueue(): Map<number, GateEntry> | undefined {
    let first: Map<number, GateEntry> | undefined;
    for (const queue of this.waiting) {
      if (!queue || queue.size === 0) continue;
      if (!first) first = queue;
      else return ++this.turns % SHARE === 0 ? queue : first;
    }
    return first;
  }
}
