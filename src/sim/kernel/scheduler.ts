import type { Strategy } from './strategy.js';
import type { ImmediateTask, Task, TimerTask } from './task.js';
import { TimerQueue } from './timers.js';

/** A message on its way: it joins the ready tasks when the clock reaches `due`. */
interface InFlight {
  readonly id: number;
  readonly due: number;
  readonly task: ImmediateTask;
}

export interface SchedulerOptions {
  /**
   * The longest a ready task may wait, in virtual ms, while timers fire around it.
   * 0 means messages are always delivered before the clock moves.
   */
  readonly maxLatencyMs?: number;
  /** Sees every task created and run (a swimlane picture of the run); hunts leave it out. */
  readonly observer?: SchedulerObserver;
  /**
   * Keep the log (on unless false). Hunts leave it out: most runs pass, and a failing run
   * is run again, deterministically, for its trace.
   */
  readonly log?: boolean;
}

/** Watches a run task by task; it must not step the scheduler. */
export interface SchedulerObserver {
  /** `by` is the seq of the step that created the task, undefined when created outside any step. */
  created(task: Task, by: number | undefined): void;
  /** Called just before the task runs as log entry `entry`. */
  ran(task: Task, entry: LogEntry): void;
}

export interface LogEntry {
  /** Step number from 0; `choices[seq]` is the index chosen at this step. */
  readonly seq: number;
  /** Virtual time at which the task ran. */
  readonly time: number;
  readonly actor: string;
  readonly label: string;
}

export type StopReason = 'idle' | 'maxSteps' | 'until';

export interface RunOptions {
  readonly maxSteps: number;
  /** Checked before every step. */
  readonly until?: () => boolean;
}

const NO_TIMERS: readonly TimerTask[] = [];
const NO_ARRIVALS: readonly ImmediateTask[] = [];

/**
 * Runs the simulated world one task at a time. Which task runs is the strategy's
 * choice, and every choice is recorded, so `choices` plus the same starting world
 * replays the run exactly.
 */
export class Scheduler {
  readonly strategy: Strategy;
  readonly maxLatencyMs: number;
  private readonly observer: SchedulerObserver | undefined;
  private clock = 0;
  private nextId = 1;
  // Tasks join it in the order they became ready (spawned now, or arrived in (due, id)
  // order as the clock passed them), so its first entry is the one that has waited
  // longest; without messages in flight this is id order. An array, not a Map, so that
  // most steps offer it to the strategy as it is, without a copy; it holds a few tasks.
  private readonly immediate: ImmediateTask[] = [];
  private readonly timers = new TimerQueue();
  private readonly inFlight = new TimerQueue<InFlight>();
  private readonly chosen: number[] = [];
  private readonly widths: number[] = [];
  private readonly entries: LogEntry[] = [];
  private readonly logging: boolean;
  private ran = 0;
  private running = false;

  constructor(strategy: Strategy, options: SchedulerOptions = {}) {
    const maxLatencyMs = options.maxLatencyMs ?? 1000;
    if (!(maxLatencyMs >= 0)) throw new RangeError(`Scheduler: bad maxLatencyMs ${maxLatencyMs}`);
    this.strategy = strategy;
    this.maxLatencyMs = maxLatencyMs;
    this.observer = options.observer;
    this.logging = options.log !== false;
  }

  /** Virtual milliseconds; moves when a timer runs, or to the next arrival when nothing else is ready. */
  get now(): number {
    return this.clock;
  }

  /** Every index the strategy chose, in step order. */
  get choices(): readonly number[] {
    return this.chosen;
  }

  /** How many tasks were ready at each step, the choice being made among them. */
  get readyCounts(): readonly number[] {
    return this.widths;
  }

  /** Empty when the scheduler keeps no log. */
  get log(): readonly LogEntry[] {
    return this.entries;
  }

  /** Tasks run so far, logged or not. */
  get steps(): number {
    return this.ran;
  }

  /** No message or action is waiting or on its way: only timers are left, the world is at rest until one fires. */
  get quiescent(): boolean {
    return this.immediate.length === 0 && this.inFlight.size === 0;
  }

  /** Tasks not yet run or cancelled, ready, in flight or not due. */
  get pending(): number {
    return this.immediate.length + this.timers.size + this.inFlight.size;
  }

  spawn(actor: string, label: string, run: () => void): number {
    const id = this.nextId++;
    const task: ImmediateTask = { kind: 'immediate', id, actor, label, run, readyAt: this.clock };
    this.immediate.push(task);
    this.observer?.created(task, this.running ? this.ran - 1 : undefined);
    return id;
  }

  /**
   * A message that reaches `actor` `delayMs` of virtual time from now (network latency);
   * from then on it waits among the ready tasks like a spawned one, so strategies may still
   * reorder it. A delay of 0 is `spawn`.
   */
  deliver(delayMs: number, actor: string, label: string, run: () => void): number {
    if (delayMs === 0) return this.spawn(actor, label, run);
    if (!(delayMs > 0) || !Number.isFinite(delayMs)) throw new RangeError(`Scheduler.deliver: bad delay ${delayMs} for ${actor}: ${label}`);
    const id = this.nextId++;
    const task: ImmediateTask = { kind: 'immediate', id, actor, label, run, readyAt: this.clock + delayMs };
    this.inFlight.add({ id, due: task.readyAt, task });
    this.observer?.created(task, this.running ? this.ran - 1 : undefined);
    return id;
  }

  at(due: number, actor: string, label: string, run: () => void): number {
    // A timer in the past would move the clock backwards when it runs.
    if (!(due >= this.clock) || !Number.isFinite(due)) {
      throw new RangeError(`Scheduler.at: due ${due} is not finite and >= now (${this.clock}), for ${actor}: ${label}`);
    }
    const id = this.nextId++;
    const task: TimerTask = { kind: 'timer', id, actor, label, run, due };
    this.timers.add(task);
    this.observer?.created(task, this.running ? this.ran - 1 : undefined);
    return id;
  }

  after(delayMs: number, actor: string, label: string, run: () => void): number {
    if (!(delayMs >= 0)) throw new RangeError(`Scheduler.after: bad delay ${delayMs} for ${actor}: ${label}`);
    return this.at(this.clock + delayMs, actor, label, run);
  }

  /** Returns whether the task was still pending. */
  cancel(id: number): boolean {
    return this.dropImmediate(id) || this.timers.delete(id) || this.inFlight.delete(id);
  }

  /**
   * The tasks the strategy may choose from now: messages and actions first, in the order
   * they became ready (id order when no message is delayed), then the next messages to
   * arrive, then the ready timers. Index 0, the plain order that fifo and exhausted choice lists
   * follow, thus delivers every message before the clock moves (zero latency); other
   * strategies still explore late delivery within the latency bound. Interleaving by id
   * instead made the plain order fire old timers ahead of new messages, which put
   * contending TAPAs into lockstep. Empty only when nothing is pending.
   */
  ready(): readonly Task[] {
    return [...this.offered()];
  }

  /** What `ready` returns, without a copy when only messages and actions are ready: valid until the next change. */
  private offered(): readonly Task[] {
    const timers = this.readyTimers();
    const arrivals = this.readyArrivals();
    if (timers.length === 0 && arrivals.length === 0) return this.immediate;
    return (this.immediate as readonly Task[]).concat(arrivals, timers);
  }

  private dropImmediate(id: number): boolean {
    const at = this.immediate.findIndex((t) => t.id === id);
    if (at < 0) return false;
    this.immediate.splice(at, 1);
    return true;
  }

  /**
   * Fairness rule (bounded message latency): only the earliest-due timers are ever
   * ready, and only if they are due no later than `maxLatencyMs` after the oldest
   * waiting immediate task became ready. Otherwise a strategy could keep firing
   * timers (refresh, retry, expiry) and run the clock arbitrarily far past a message
   * that is already in flight, which no real network does: an NSP registration would
   * expire before its refresh was ever delivered, and the sim would report failures
   * that are only artefacts of an unbounded latency. With the rule, no immediate task
   * waits more than `maxLatencyMs` of virtual time, and since `now` only moves to the
   * earliest due, it never moves backwards either. A message in flight counts as waiting
   * from its arrival: a timer may pass it by no more than the same bound.
   */
  private readyTimers(): readonly TimerTask[] {
    if (this.timers.size === 0) return NO_TIMERS;
    const oldest = this.immediate[0]?.readyAt ?? Infinity;
    if (this.timers.minDue() > Math.min(oldest, this.inFlight.minDue()) + this.maxLatencyMs) return NO_TIMERS;
    return this.timers.earliest();
  }

  /**
   * The next messages to arrive, offered beside the ready tasks under the same rule as
   * timers: picking one lets time pass to its arrival while other work is still ready, so
   * that a message can land in the middle of the handling of another, as on a real
   * network. Only if no timer is due before it, or the clock would have to go back.
   */
  private readyArrivals(): readonly ImmediateTask[] {
    if (this.inFlight.size === 0 || this.immediate.length === 0) return NO_ARRIVALS;
    const next = this.inFlight.minDue();
    const oldest = this.immediate[0]!.readyAt;
    if (next > this.timers.minDue() || next > oldest + this.maxLatencyMs) return NO_ARRIVALS;
    return this.inFlight.earliest().map((m) => m.task);
  }

  /**
   * Nothing is ready but messages are on their way: time passes until the first arrives
   * (timers due at the same time stay ready beside it). With something ready, the clock
   * moves only when the strategy picks a timer.
   */
  private awaitArrival(): void {
    if (this.immediate.length > 0 || this.inFlight.size === 0) return;
    const next = this.inFlight.minDue();
    if (next > this.timers.minDue()) return;
    this.clock = next;
    this.arrive();
  }

  /** Messages whose latency has elapsed join the ready tasks. */
  private arrive(): void {
    for (const { task } of this.inFlight.takeUntil(this.clock)) this.immediate.push(task);
  }

  /** Runs one task chosen by the strategy; undefined when nothing is pending. */
  step(): Task | undefined {
    // A task that steps the scheduler would run another task in the middle of its own
    // atomic step, and the log would no longer describe what happened.
    if (this.running) throw new Error('Scheduler.step called from inside a running task');
    this.awaitArrival();
    const ready = this.offered();
    if (ready.length === 0) return undefined;
    // Read now: when nothing but messages and actions is ready, `ready` is the list the step changes.
    const width = ready.length;
    const index = this.strategy.choose(ready, this.clock);
    const task = ready[index];
    if (!Number.isInteger(index) || task === undefined) {
      throw new RangeError(`strategy ${this.strategy.name} chose ${index} of ${ready.length} ready tasks`);
    }
    if (task.kind === 'immediate' && task.readyAt > this.clock) {
      this.clock = task.readyAt;
      this.arrive();
    }
    // A ready task that is not pending would run twice, or run after being cancelled.
    const removed = task.kind === 'timer' ? this.timers.delete(task.id) : this.dropImmediate(task.id);
    if (!removed) throw new Error(`Scheduler: ready task ${task.id} (${task.actor}: ${task.label}) is not pending`);
    this.chosen.push(index);
    this.widths.push(width);
    if (task.kind === 'timer') {
      this.clock = task.due;
      this.arrive();
    }
    // Logged before running, so a task that throws is the last entry of the log.
    if (this.logging || this.observer) {
      const entry = { seq: this.ran, time: this.clock, actor: task.actor, label: task.label };
      if (this.logging) this.entries.push(entry);
      this.observer?.ran(task, entry);
    }
    this.ran++;
    this.running = true;
    try {
      task.run();
    } finally {
      this.running = false;
    }
    return task;
  }

  run(options: RunOptions): StopReason {
    const { maxSteps, until } = options;
    for (let steps = 0; ; steps++) {
      if (until?.()) return 'until';
      if (this.pending === 0) return 'idle';
      if (steps >= maxSteps) return 'maxSteps';
      this.step();
    }
  }
}
