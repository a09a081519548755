import { loadState, noChanges, saveState, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
import type { Core, CoreFault } from './core-fault.js';
import { RECORDING_FORMAT, RECORDING_VERSION, recordedEffects, redacted, type Recording, type RecordedStep } from './recording.js';
import { applyDelta, takeDelta, type StateDelta } from './state-delta.js';

/** A step as the ring keeps it: the core's own event and effects, by reference. */
interface KeptStep {
  readonly at: number;
  readonly event: TapaEvent;
  effects?: readonly TapaEffect[];
  threw?: string;
}

interface Segment {
  readonly at: number;
  readonly steps: KeptStep[];
  /** What the segment's steps did to the state; set when the segment is over. */
  delta?: StateDelta;
}

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
 * the core's work. Per event the recorder only keeps references: the core and the runner
 * never change an event or an effect after the step (test/runner/recorder.test.ts
 * freezes them to hold it to that). Digests of big Watch snapshots and redaction of
 * secrets are done when a recording is made.
 */
export class Recorder {
  private readonly segments: Segment[] = [];
  private readonly segmentLength: number;
  /** The state before the first kept step. */
  private readonly start: TapaState;
  private readonly changes = noChanges();
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
    this.segments.push({ at, steps: [] });
  }

  /** Steps the core on `event`, recording it; the step is recorded even if the core throws. */
  step(core: Core, state: TapaState, event: TapaEvent, at: number): TapaEffect[] {
    let segment = this.segments.at(-1)!;
    if (segment.steps.length >= this.segmentLength) {
      segment.delta = takeDelta(state, this.changes);
      segment = { at, steps: [] };
      this.segments.push(segment);
      if (this.segments.length > SEGMENTS) {
        const gone = this.segments.shift()!;
        applyDelta(this.start, gone.delta!);
        this.dropped += gone.steps.length;
      }
    }
    const kept: KeptStep = { at, event };
    segment.steps.push(kept);
    try {
      return (kept.effects = core(state, event, this.changes));
    } catch (err) {
      kept.threw = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** What the ring holds now, without secrets; `why`, for whoever reads it. */
  recording(why: string, at: number): Recording {
    const steps = this.segments.flatMap((s) => s.steps);
    return redacted({
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      why,
      madeAt: at,
      ...(this.fault ? { fault: this.fault } : {}),
      dropped: this.dropped,
      startedAt: this.segments[0]!.at,
      snapshot: JSON.parse(saveState(this.start)) as unknown,
      steps: steps.map((s): RecordedStep => (s.effects ? { ...s, effects: recordedEffects(s.effects) } : s)),
    });
  }
}
