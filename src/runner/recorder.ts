import { loadState, noChanges, saveState, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
import type { Core, CoreFault } from './core-fault.js';
import {
  RECORDING_FORMAT,
  RECORDING_VERSION,
  recordedEffects,
  redacted,
  type RecordedEffect,
  type Recording,
  type RecordedStep,
} from './recording.js';
import { applyDelta, takeDelta, type StateDelta } from './state-delta.js';

/**
 * A segment's steps: the core's own events and effects, by reference, in arrays that are
 * used again when the segment goes, so that a step costs the ring no allocation.
 */
interface Segment {
  at: number;
  length: number;
  readonly ats: number[];
  readonly events: TapaEvent[];
  /**
   * The effects the core returned (big Watch snapshots as digests), or the message of what
   * it threw; undefined while the core is on the step (a recording made then, by the
   * watchdog, shows the step the core is stuck on).
   */
  readonly outcomes: (readonly RecordedEffect[] | string | undefined)[];
  /** What the segment's steps did to the state; set when the segment is over. */
  delta?: StateDelta;
}

/**
 * The process event on which a recording is made of a loop that is stuck (in the core,
 * say): emitted, with how long it has been stuck in ms, by a watchdog from outside the
 * loop (the sidecar's, src/grpc/watchdog.ts).
 */
export const LOOP_STUCK = 'tapaLoopStuck';

/** Segments the ring is cut into: the ring keeps between (SEGMENTS - 1) and SEGMENTS of them. */
const SEGMENTS = 4;

/**
 * The flight recorder: the last events the core stepped, with their times and effects,
 * and the state before the first of them, so that a recording replays from there.
 *
 * The ring is cut into segments of a fixed number of events; when it is full its oldest
 * segment goes. The state at the ring's start is a copy kept up to date at the cost of
 * what changed, not of the state: the core tells which streams, calls and timers each
 * step changed (Changes), a segment ends with a delta of those (StateDelta), and when the
 * oldest segment goes its delta is applied to the copy. A whole snapshot per segment cost
 * in proportion to the state (6 MB of JSON at 10,000 streams) and would have needed
 * segments as long as the state is big; a second state stepped along behind would double
 * the core's work. Per event the recorder only keeps references (big Watch snapshots as
 * digests, recordedEffects): the core and the runner never change an event or an effect
 * after the step (test/runner/recorder.test.ts freezes them to hold it to that).
 * Redaction of secrets is done when a recording is made.
 */
export class Recorder {
  private readonly segments: Segment[] = [];
  private readonly segmentLength: number;
  /** The state before the first kept step. */
  private readonly start: TapaState;
  private changes = noChanges();
  private dropped = 0;

  /** `state`: the core's state now, where the recording starts. */
  constructor(
    capacity: number,
    private readonly fault: CoreFault | undefined,
    state: TapaState,
    at: number,
  ) {
    this.segmentLength = Math.max(1, Math.ceil(capacity / SEGMENTS));
    this.start = loadState(saveState(state));
    this.segments.push(emptySegment(at));
  }

  /** Steps the core on `event`, recording it; the step is recorded even if the core throws. */
  step(core: Core, state: TapaState, event: TapaEvent, at: number): TapaEffect[] {
    let segment = this.segments.at(-1)!;
    if (segment.length >= this.segmentLength) {
      segment.delta = takeDelta(state, this.changes);
      this.changes = noChanges();
      segment = this.segments.length < SEGMENTS ? emptySegment(at) : this.dropOldest(at);
      this.segments.push(segment);
    }
    const i = segment.length++;
    segment.ats[i] = at;
    segment.events[i] = event;
    segment.outcomes[i] = undefined;
    try {
      const effects = core(state, event, this.changes);
      segment.outcomes[i] = recordedEffects(effects);
      return effects;
    } catch (err) {
      segment.outcomes[i] = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** Brings the ring's start past the oldest segment, and hands that segment back empty. */
  private dropOldest(at: number): Segment {
    const oldest = this.segments.shift()!;
    applyDelta(this.start, oldest.delta!);
    this.dropped += oldest.length;
    oldest.at = at;
    oldest.length = 0;
    oldest.delta = undefined;
    return oldest;
  }

  /** What the ring holds now, without secrets; `why`, for whoever reads it. */
  recording(why: string, at: number): Recording {
    return redacted({
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      why,
      madeAt: at,
      ...(this.fault ? { fault: this.fault } : {}),
      dropped: this.dropped,
      startedAt: this.segments[0]!.at,
      snapshot: JSON.parse(saveState(this.start)) as unknown,
      steps: this.segments.flatMap((s) => Array.from({ length: s.length }, (_, i) => recordedStep(s, i))),
    });
  }
}

function emptySegment(at: number): Segment {
  return { at, length: 0, ats: [], events: [], outcomes: [] };
}

function recordedStep(segment: Segment, i: number): RecordedStep {
  const [at, event, outcome] = [segment.ats[i]!, segment.events[i]!, segment.outcomes[i]];
  if (outcome === undefined) return { at, event, unfinished: true };
  return typeof outcome === 'string' ? { at, event, threw: outcome } : { at, event, effects: outcome };
}
