import { createRng, nextInt, nextUint32, type RngState } from '../../core/rng.js';
import type { Strategy } from './strategy.js';
import type { Task } from './task.js';

/**
 * PCT, Probabilistic Concurrency Testing: S. Burckhardt, P. Kothari, M. Musuvathi,
 * S. Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of Finding
 * Bugs", ASPLOS 2010. A bug that needs d ordering constraints between n threads in a
 * run of k steps is found with probability at least 1/(n·k^(d-1)) per run, far better
 * than a random walk for the deep orderings behind deadlocks like Meridio #578.
 *
 * Threads are actors here. Each actor gets a distinct priority >= depth when first
 * seen; every step runs the highest-priority ready actor (its lowest-id task); at the
 * i-th of d-1 change points the actor that just ran drops to priority i, below every
 * initial priority, which is how the paper forces one ordering constraint per point.
 */
export class PctStrategy implements Strategy {
  readonly name: string;
  readonly depth: number;
  readonly maxSteps: number;
  private readonly rng: RngState;
  /** Step number (from 1) -> i, for the i-th change point. */
  private readonly changeAt = new Map<number, number>();
  private readonly priority = new Map<string, number>();
  private readonly taken = new Set<number>();
  private steps = 0;

  constructor(seed: number, depth = 3, maxSteps = 1000) {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`PctStrategy: bad depth ${depth}`);
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`PctStrategy: bad maxSteps ${maxSteps}`);
    this.name = `pct(seed=${seed}, depth=${depth}, maxSteps=${maxSteps})`;
    this.depth = depth;
    this.maxSteps = maxSteps;
    this.rng = createRng(seed);
    // Distinct points (a sparse Fisher-Yates draw), so each of the d-1 points lowers a
    // priority; when the run is estimated shorter than d-1 steps, every step is one.
    const count = Math.min(depth - 1, maxSteps);
    const swapped = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const j = i + nextInt(this.rng, maxSteps - i);
      const picked = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      this.changeAt.set(picked + 1, i + 1);
    }
  }

  /** Step numbers (from 1) of the change points; the i-th entry lowers to priority i + 1. */
  get changePoints(): readonly number[] {
    const points: number[] = [];
    for (const [step, i] of this.changeAt) points[i - 1] = step;
    return points;
  }

  /** Current priority of every actor seen so far; higher runs first. */
  priorities(): ReadonlyMap<string, number> {
    return this.priority;
  }

  choose(ready: readonly Task[]): number {
    let best = 0;
    let bestPriority = -Infinity;
    for (let i = 0; i < ready.length; i++) {
      const actor = ready[i]!.actor;
      const p = this.priority.get(actor) ?? this.admit(actor);
      // Strictly greater: the first task of an actor in the id-ordered list wins ties.
      if (p > bestPriority) {
        best = i;
        bestPriority = p;
      }
    }
    this.steps++;
    const lowerTo = this.changeAt.get(this.steps);
    if (lowerTo !== undefined) this.priority.set(ready[best]!.actor, lowerTo);
    return best;
  }

  /**
   * A distinct random key above every change-point priority puts the new actor at a
   * uniformly random rank among the actors still at their initial priority, as the paper's random
   * assignment of d..d+n-1 does, without renumbering the others.
   */
  private admit(actor: string): number {
    let key = nextUint32(this.rng);
    while (this.taken.has(key)) key = nextUint32(this.rng);
    this.taken.add(key);
    const p = this.depth + key;
    this.priority.set(actor, p);
    return p;
  }
}
