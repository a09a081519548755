import type { CallError } from '../../core/index.js';
import { viewOf, WorldChecker } from './checks.js';
import { Environment, NSP } from '../world/environment.js';
import {
  deadlockSignature,
  formatDeadlock,
  formatLockOrderCycle,
  formatStall,
  lockOrderSignature,
  stallSignature,
  syncBlockedSignature,
  type Runtime,
  type RuntimeObserver,
} from '../goroutine/index.js';
import { createStrategy, Divergence, Scheduler, type LogEntry, type SchedulerObserver, type StrategySpec } from '../kernel/index.js';
import type { Model, TapaSpec, TapaUnderTest } from './model.js';
import { Application } from '../world/application.js';
import { quietAt, timeline, windowMs, type Scenario } from './scenario.js';
import { fitted, restoredState, startingWorld, tapaNames, type Start } from './start.js';
import { textSignature } from './signature.js';

export type FailureKind = 'invariant' | 'hang' | 'stall' | 'convergence' | 'deadlock' | 'potential-deadlock';

export interface Failure {
  readonly kind: FailureKind;
  readonly message: string;
  /** Virtual ms. */
  readonly time: number;
  /** The same for every run of one bug, whatever the seed: `<kind>: <detail>` (see signature.ts). */
  readonly signature: string;
}

export interface RunOptions {
  readonly model: Model;
  readonly strategy: StrategySpec;
  /** Seeds the TAPAs' own generators. */
  readonly seed: number;
  /** A Tap call must be answered within this much virtual time; default: `hangBound`. */
  readonly hangMs?: number;
  /** After the last step and fault, the world must converge within this much virtual time. */
  readonly convergenceMs?: number;
  readonly maxSteps?: number;
  readonly maxLatencyMs?: number;
  /**
   * After a deadlock, keep the rest of the world running this much longer before the
   * report, so that what piles up behind the cycle (handlers, Tap calls) shows in the
   * goroutine dump, as in a dump taken from a hung process. 0: report at once.
   */
  readonly lingerMs?: number;
  /** A run that ends without failure still fails, as potential-deadlock, if a lock-order cycle was seen. */
  readonly lockdep?: boolean;
  /** Sees every step and goroutine event, for a picture of the run (src/sim/swimlane); hunts leave it out. */
  readonly observer?: RunObserver;
  /** How lock-level models' goroutine runtimes settle: 'full' is the reference the default is tested against. */
  readonly settle?: TapaSpec['settle'];
  /** Keep the log of steps (on unless false; off, `log` is empty): a search keeps it only for the runs it writes down. */
  readonly log?: boolean;
  /** The first TAPA begins as a recorded core, in the world its state implies (`hunt --from-recording`). */
  readonly start?: Start;
}

export type RunObserver = SchedulerObserver & RuntimeObserver;

export interface RunResult {
  readonly failure: Failure | undefined;
  readonly log: readonly LogEntry[];
  readonly choices: readonly number[];
  /** How many tasks were ready at each step, `choices[i]` being one of `readyCounts[i]`. */
  readonly readyCounts: readonly number[];
  /** Virtual ms at the end of the run. */
  readonly time: number;
}

export const DEFAULTS = {
  /** A model's longest legitimate wait when it declares none: Go TAPA's MERIDIO_TIMEOUT. */
  longestWaitMs: 15_000,
  convergenceMs: 90_000,
  maxSteps: 50_000,
  maxLatencyMs: 1_000,
} as const;

/**
 * How long a Tap call may go unanswered before it is a hang: twice the model's longest
 * legitimate wait (a call can queue behind one that waits that long), plus the
 * scenario's longest fault window (a call may wait for the NSP or NSM to come back).
 * A fixed bound was both too short for ordinary calls made of several slow RPCs and too
 * long for a stall that clears by itself; stalls have their own detector (stall.ts).
 */
export function hangBound(model: Model, scenario: Scenario): number {
  return 2 * (model.longestWaitMs ?? DEFAULTS.longestWaitMs) + scenario.steps.reduce((w, s) => Math.max(w, windowMs(s)), 0);
}

/**
 * Runs one scenario under one schedule: the safety phase checks every step; once the
 * last step and fault are over, the liveness phase demands that the world converge.
 */
export function runScenario(given: Scenario, options: RunOptions): RunResult {
  const { start } = options;
  if (start && !options.model.resumes) throw new Error(`model ${options.model.name} cannot begin from a recorded state`);
  const scenario = fitted(given, start);
  const scheduler = new Scheduler(createStrategy(options.strategy), {
    maxLatencyMs: options.maxLatencyMs ?? DEFAULTS.maxLatencyMs,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.log === false ? { log: false } : {}),
  });
  const env = new Environment(scheduler, scenario, options.seed, start);
  const asked = new Map<string, number>(); // unanswered Tap calls -> asked at
  const recorded = start && startingWorld(start);
  const tapas: TapaUnderTest[] = tapaNames(scenario, start).map((name, i) =>
    options.model.create(env, {
      name,
      node: `worker-${i + 1}`,
      seed: options.seed * 31 + i,
      ...(options.observer ? { goroutines: options.observer } : {}),
      ...(options.settle ? { settle: options.settle } : {}),
      lockOrder: options.lockdep === true,
      ...(i === 0 && start ? { restore: { state: restoredState(start), resume: start.resume, lost: start.lost } } : {}),
      reply: (request: number, _error?: CallError) => {
        asked.delete(`${name}#${request}`);
        app.answered(name);
      },
    }),
  );
  const app = new Application(
    scenario,
    tapas,
    (tapa, request) => asked.set(`${tapa}#${request}`, scheduler.now),
    (tapa, request) => asked.delete(`${tapa}#${request}`),
    recorded?.open.map(({ conduit, stream }) => `${recorded.tapa}/${conduit}/${stream}`),
  );
  for (const step of timeline(scenario)) {
    const byApp = app.handles(step);
    scheduler.at(step.at, byApp ? 'app' : 'world', `${step.kind} a=${step.a} b=${step.b} c=${step.c}`, () =>
      byApp ? app.apply(step) : env.apply(step),
    );
  }
  const quiet = quietAt(scenario);
  const hangMs = options.hangMs ?? hangBound(options.model, scenario);
  const deadline = quiet + (options.convergenceMs ?? DEFAULTS.convergenceMs);
  const byName = new Map(tapas.map((t) => [t.name, t]));
  const world = new WorldChecker(env, tapas, options.model.keepsNsmPaths !== false);
  const done = (failure: Failure | undefined): RunResult => ({
    failure: failure ?? lockOrder(),
    log: scheduler.log,
    choices: scheduler.choices,
    readyCounts: scheduler.readyCounts,
    time: scheduler.now,
  });
  const failed = (kind: FailureKind, message: string, detail: string, time = scheduler.now): Failure => ({
    kind,
    message,
    time,
    signature: `${kind}: ${detail}`,
  });
  const lockOrder = (): Failure | undefined => {
    if (!options.lockdep) return undefined;
    const cycles = tapas.flatMap((t) => t.runtime?.lockOrderCycles() ?? []);
    if (cycles.length === 0) return undefined;
    return failed('potential-deadlock', cycles.map(formatLockOrderCycle).join('\n'), lockOrderSignature(cycles));
  };
  const deadlock = ({ tapa, time }: { tapa: TapaUnderTest; time: number }): Failure => {
    const rt = tapa.runtime!;
    const d = rt.deadlock!;
    return failed('deadlock', `${formatDeadlock(d)}\n${rt.dump()}`, deadlockSignature(d), time);
  };
  const stall = (rt: Runtime): Failure => {
    const s = rt.stall!;
    return failed('stall', `${formatStall(s)}\n${rt.dump()}`, stallSignature(s));
  };
  const hang = (call: string): Failure => {
    const rt = byName.get(call.split('#')[0]!)?.runtime;
    const message = `Tap call ${call} not answered within ${hangMs} ms`;
    return failed('hang', rt ? `${message}; goroutines:\n${rt.dump()}` : message, (rt && syncBlockedSignature(rt.goroutines)) || '-');
  };

  let deadlocked: { time: number; tapa: TapaUnderTest } | undefined;
  // Why the world was not converged the last time it was judged.
  let atRest = ['it was never at rest after the last step'];
  const drainMs = drainBound(scenario, options.maxLatencyMs ?? DEFAULTS.maxLatencyMs);
  // When the world, not at rest, was last judged, and whether it was converged then.
  let looked: { at: number; converged: boolean } | undefined;
  for (let steps = 0; steps < (options.maxSteps ?? DEFAULTS.maxSteps); steps++) {
    let task;
    try {
      task = scheduler.step();
    } catch (err) {
      // A replay that ran out of its recording, or whose recorded choice no longer fits, is
      // not the model's fault: the replay reports it as a divergence (exit 2), at its step.
      if (err instanceof Divergence) throw err;
      // A model did something its language forbids (unlocking an unlocked mutex, ...).
      const message = `model error: ${(err as Error).message}`;
      return done(failed('invariant', message, textSignature(scenario, message)));
    }
    const now = scheduler.now;
    if (!task) {
      if (deadlocked) return done(deadlock(deadlocked));
      if (options.model.converges === false) return done(undefined);
      const reasons = [...notConverged(env, tapas), ...app.staleWatches(env)];
      const because = reasons.join('; ');
      return done(
        reasons.length > 0 ? failed('convergence', `nothing left to do, but ${because}`, textSignature(scenario, because)) : undefined,
      );
    }
    const slash = task.actor.indexOf('/');
    const tapa = byName.get(task.actor) ?? (slash < 0 ? undefined : byName.get(task.actor.slice(0, slash)));
    if (deadlocked) {
      if (now - deadlocked.time <= (options.lingerMs ?? 0)) continue;
      return done(deadlock(deadlocked));
    }
    if (tapa?.runtime?.deadlock) {
      deadlocked = { time: now, tapa };
      continue;
    }
    if (tapa?.runtime?.stall) return done(stall(tapa.runtime));
    // Only a TAPA's own steps change its state, and only the NSP's change the registry.
    if (tapa || task.actor === NSP) {
      const broken = [...(tapa ? tapa.invariants().map((v) => `${tapa.name}: ${v}`) : []), ...world.violations(tapa)];
      const message = broken.join('; ');
      if (broken.length > 0) return done(failed('invariant', message, textSignature(scenario, message)));
    }
    for (const [call, at] of asked) {
      if (now - at > hangMs) return done(hang(call));
    }
    // Convergence is judged when the world is at rest: every message delivered, only timers left.
    // A big world may never be at rest (token and target refreshes of many TAPAs, late messages:
    // something is always on its way), so it is also judged once per drain time: converged at two
    // looks a drain apart means that what was on its way at the first did not undo it. A model
    // judged on deadlocks only still runs on until the world is at rest, for what happens after.
    const look = options.model.converges !== false && (looked === undefined || now - looked.at >= drainMs);
    if (now >= quiet && app.idle && (scheduler.quiescent || look)) {
      atRest = [...notConverged(env, tapas), ...app.staleWatches(env)];
      const converged = atRest.length === 0;
      if (converged && (scheduler.quiescent || looked?.converged)) return done(undefined);
      looked = { at: now, converged };
    }
    if (now > deadline && options.model.converges === false) {
      // Judged on deadlocks, stalls and hangs only: nothing to converge, but an unanswered call's hang bound still counts.
      if (asked.size === 0) return done(undefined);
    } else if (now > deadline) {
      const because = atRest.join('; ');
      return done(
        failed('convergence', `not converged ${deadline - quiet} ms after the last step: ${because}`, textSignature(scenario, because)),
      );
    }
  }
  if (deadlocked) return done(deadlock(deadlocked));
  return done(failed('convergence', `still busy after ${options.maxSteps ?? DEFAULTS.maxSteps} steps`, 'still busy'));
}

/** Long enough for every message on its way to arrive and be answered: the scheduler's bound on a ready task's wait, or a round trip at the scenario's slowest latency. */
function drainBound(scenario: Scenario, maxLatencyMs: number): number {
  const slowest = Math.max(0, ...Object.values(scenario.latency ?? {}).map((p) => p.minMs + p.spreadMs + p.tailMs));
  return Math.max(maxLatencyMs, 2 * slowest) + 1;
}

function notConverged(env: Environment, tapas: readonly TapaUnderTest[]): string[] {
  return tapas.flatMap((t) => t.divergences(viewOf(env, t)).map((d) => `${t.name}: ${d}`));
}
