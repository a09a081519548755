import { FifoStrategy } from '../../../src/sim/kernel/fifo.js';
import { Scheduler } from '../../../src/sim/kernel/scheduler.js';
import type { Strategy } from '../../../src/sim/kernel/strategy.js';
import type { Task } from '../../../src/sim/kernel/task.js';
import { Runtime } from '../../../src/sim/goroutine/index.js';

/** A strategy the test steers by hand: the index in `pick`, then back to the first task. */
export class Steered implements Strategy {
  readonly name = 'steered';
  pick = 0;
  choose(): number {
    const p = this.pick;
    this.pick = 0;
    return p;
  }
}

export function fifoRuntime(): Runtime {
  return new Runtime(new Scheduler(new FifoStrategy()));
}

export function steeredRuntime(): { rt: Runtime; steer: Steered } {
  const steer = new Steered();
  return { rt: new Runtime(new Scheduler(steer)), steer };
}

/** The ready tasks as `actor: label`. */
export function readyTasks(rt: Runtime): string[] {
  return rt.scheduler.ready().map((t: Task) => `${t.actor}: ${t.label}`);
}

/** Runs until nothing is pending, and fails if that takes more than `maxSteps`. */
export function runIdle(rt: Runtime, maxSteps = 10_000): void {
  const stop = rt.scheduler.run({ maxSteps });
  if (stop !== 'idle') throw new Error(`run stopped by ${stop}`);
}
