import type { Failure, FailureKind } from '../harness/run.js';
import { laneId, lanesOf, type Lane } from './lane.js';
import { markKind, type MarkKind } from './mark.js';
import type { Recorder } from './recorder.js';

/** One step of the run: one row of the picture, one marker in its lane. */
export interface Mark {
  readonly seq: number;
  /** Virtual ms. */
  readonly time: number;
  readonly lane: number;
  readonly actor: string;
  readonly label: string;
  readonly kind: MarkKind;
  /** The step whose work created this one (a message sent, a goroutine spawned or woken). */
  readonly cause: number | undefined;
  /** A goroutine's stack as the step began, innermost first. */
  readonly stack: readonly string[] | undefined;
}

/** A lock held from step `from` to step `to` (undefined: to the end). */
export interface Hold {
  readonly lane: number;
  readonly lock: string;
  readonly instance: number;
  readonly from: number;
  readonly to: number | undefined;
  /** A lock that a member of the deadlock cycle waits for. */
  readonly cycle: boolean;
}

/** A goroutine parked from step `from` until it ran again (`to`), or to the end. */
export interface Wait {
  readonly lane: number;
  readonly from: number;
  readonly to: number | undefined;
  readonly op: string;
  readonly object: string;
  /** The lanes of the goroutines it waits for. */
  readonly on: readonly number[];
  /** An edge of the deadlock cycle. */
  readonly cycle: boolean;
}

export interface Verdict {
  /** `diverged`: a flight recording whose replay no longer does what was recorded (swimlane/recording.ts). */
  readonly kind: FailureKind | 'passed' | 'diverged';
  readonly message: string;
  /** Virtual ms. */
  readonly time: number | undefined;
  /** The step at which it was found: the one that closed the cycle, or the last one. */
  readonly step: number | undefined;
}

/** A run as plain data, ready to draw: lanes, one mark per step, lock holds and waits. */
export interface Timeline {
  readonly model: string;
  readonly seed: number;
  readonly verdict: Verdict;
  readonly lanes: readonly Lane[];
  readonly marks: readonly Mark[];
  readonly holds: readonly Hold[];
  readonly waits: readonly Wait[];
}

export interface RunFacts {
  readonly model: string;
  readonly seed: number;
  readonly tapas: readonly string[];
  readonly failure: Failure | undefined;
}

/** Call it as soon as the run ends: what is stuck is read off the goroutines' final state. */
export function timeline(recorder: Recorder, run: RunFacts): Timeline {
  const { steps, goroutines } = recorder;
  const lanes = lanesOf(
    steps.map((s) => s.actor),
    goroutines,
    run.tapas,
    recorder.deadlocks,
  );
  const index = new Map(lanes.map((l, i) => [l.id, i]));
  const laneOf = (actor: string): number => index.get(laneId(actor, goroutines, run.tapas))!;
  const marks: Mark[] = steps.map((e) => ({
    seq: e.seq,
    time: e.time,
    lane: laneOf(e.actor),
    actor: e.actor,
    label: e.label,
    kind: markKind(e),
    cause: recorder.causes.get(e.seq),
    stack: recorder.stacks.get(e.seq),
  }));
  // A goroutine waited for may not have run yet (a debtor just spawned): no lane, no arrow.
  const goroutineLane = (actor: string): number | undefined => (goroutines.has(actor) ? index.get(actor) : undefined);
  const waits = waitsOf(recorder, laneOf, goroutineLane);
  const cycleWaits = waits.filter((w) => w.cycle);
  const holds: Hold[] = recorder.holds.map((h) => {
    const lane = laneOf(h.goroutine);
    return {
      lane,
      lock: h.lock,
      instance: h.instance,
      from: h.from,
      to: h.to,
      cycle: h.to === undefined && cycleWaits.some((w) => w.op === 'lock' && w.object === h.lock && w.on.includes(lane)),
    };
  });
  const deadlock = recorder.deadlocks[0];
  const last = steps.length - 1;
  const verdict: Verdict = run.failure
    ? { ...run.failure, step: run.failure.kind === 'deadlock' && deadlock ? deadlock.step : last }
    : { kind: 'passed', message: 'every check passed', time: undefined, step: undefined };
  return { model: run.model, seed: run.seed, verdict, lanes, marks, holds, waits };
}

/**
 * A park lasts until the goroutine runs again, or until it parks again (woken, it lost
 * the race for the lock to another goroutine and now waits for that one).
 */
function waitsOf(recorder: Recorder, laneOf: (actor: string) => number, goroutineLane: (actor: string) => number | undefined): Wait[] {
  const ownSteps = new Map<string, number[]>();
  for (const s of recorder.steps) {
    if (!recorder.goroutines.has(s.actor)) continue;
    const list = ownSteps.get(s.actor) ?? [];
    list.push(s.seq);
    ownSteps.set(s.actor, list);
  }
  const cycle = new Set(recorder.deadlocks[0]?.cycle.map((m) => m.goroutine) ?? []);
  const next = new Map<string, number>();
  const waits: Wait[] = [];
  for (let i = recorder.parkings.length - 1; i >= 0; i--) {
    const p = recorder.parkings[i]!;
    const again = next.get(p.goroutine);
    next.set(p.goroutine, p.from);
    const ran = firstAfter(ownSteps.get(p.goroutine) ?? [], p.from);
    const to = again === undefined ? ran : ran === undefined ? again : Math.min(again, ran);
    if (to === p.from) continue;
    waits.push({
      lane: laneOf(p.goroutine),
      from: p.from,
      to,
      op: p.wait.op,
      object: p.wait.object,
      on: p.wait.on.flatMap((a) => goroutineLane(a) ?? []),
      cycle: to === undefined && cycle.has(p.goroutine),
    });
  }
  return waits.reverse();
}

/** The first of ascending `seqs` greater than `seq`. */
function firstAfter(seqs: readonly number[], seq: number): number | undefined {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqs[mid]! > seq) hi = mid;
    else lo = mid + 1;
  }
  return seqs[lo];
}
