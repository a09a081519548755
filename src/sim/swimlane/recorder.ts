import type { Deadlock, Goroutine, Mutex, WaitDescription } from '../goroutine/index.js';
import type { LogEntry, Task } from '../kernel/index.js';
import type { RunObserver } from '../harness/run.js';

/** A lock held from one step to another (`to` undefined: still held when the run ended). */
export interface HeldLock {
  readonly goroutine: string;
  readonly lock: string;
  /** Which `lock` of its class: several instances share one name (every stream has a `stream.mu`). */
  readonly instance: number;
  readonly from: number;
  to: number | undefined;
}

/** A goroutine parked at step `from` on what `wait` names. */
export interface Parking {
  readonly goroutine: string;
  readonly from: number;
  readonly wait: WaitDescription;
}

/**
 * What a run did, as it happened: every step with the step that caused it, and the
 * goroutines' locks, parks and deadlocks. It is given to one run only (`RunOptions.observer`)
 * when a picture is wanted, so the hunts never pay for it.
 */
export class Recorder implements RunObserver {
  readonly steps: LogEntry[] = [];
  /** The step that created the task of each step, by seq. */
  readonly causes = new Map<number, number>();
  /** Where each goroutine stood when each of its steps began, by seq. */
  readonly stacks = new Map<number, readonly string[]>();
  /** Goroutine actors, with the goroutine. */
  readonly goroutines = new Map<string, Goroutine>();
  readonly holds: HeldLock[] = [];
  readonly parkings: Parking[] = [];
  readonly deadlocks: Deadlock[] = [];
  private readonly createdBy = new Map<number, number>();
  private readonly open = new Map<Mutex, HeldLock>();
  private readonly instances = new Map<Mutex, number>();
  private readonly perClass = new Map<string, number>();

  /** The seq of the step running now; -1 before the first. */
  private get now(): number {
    return this.steps.length - 1;
  }

  created(task: Task, by: number | undefined): void {
    if (by !== undefined) this.createdBy.set(task.id, by);
  }

  ran(task: Task, entry: LogEntry): void {
    this.steps.push(entry);
    const by = this.createdBy.get(task.id);
    if (by !== undefined) this.causes.set(entry.seq, by);
    this.createdBy.delete(task.id);
  }

  stepping(g: Goroutine, stack: readonly string[]): void {
    this.goroutines.set(g.actor, g);
    this.stacks.set(this.now, stack);
  }

  acquired(g: Goroutine, mutex: Mutex): void {
    const held: HeldLock = { goroutine: g.actor, lock: mutex.name, instance: this.instanceOf(mutex), from: this.now, to: undefined };
    this.holds.push(held);
    this.open.set(mutex, held);
  }

  released(mutex: Mutex): void {
    const held = this.open.get(mutex);
    if (held === undefined) return;
    held.to = this.now;
    this.open.delete(mutex);
  }

  parked(g: Goroutine, wait: WaitDescription): void {
    this.parkings.push({ goroutine: g.actor, from: this.now, wait });
  }

  deadlocked(deadlock: Deadlock): void {
    this.deadlocks.push(deadlock);
  }

  private instanceOf(mutex: Mutex): number {
    let n = this.instances.get(mutex);
    if (n === undefined) {
      n = (this.perClass.get(mutex.name) ?? 0) + 1;
      this.perClass.set(mutex.name, n);
      this.instances.set(mutex, n);
    }
    return n;
  }
}
