import { saveState, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
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

interface Segment {
  /** The state before the segment's first event (saveState). */
  readonly snapshot: string;
  readonly at: number;
  readonly steps: RecordedStep[];
}

/** Segments the ring is cut into: the ring keeps between (SEGMENTS - 1) and SEGMENTS of them. */
const SEGMENTS = 4;

/**
 * The flight recorder: the last events the core stepped, with their times and effects,
 * and the state before the first of them, so that a recording replays from there.
 *
 * The ring is cut into segments, each with a snapshot of the state taken when it began;
 * when the ring is full its oldest segment goes, and the next one's snapshot becomes
 * the start. The alternative, a second state stepped along to stay at the ring's start,
 * would double the core's work on every event; a snapshot per segment costs a copy of
 * the state every `capacity / SEGMENTS` events, and keeps at least three quarters of
 * `capacity` events. Events and effects are kept as they are (the core and the runner
 * never change them after the step), but for big Watch snapshots (recordedEffects);
 * secrets are taken out when a recording is made.
 */
export class Recorder {
  private readonly segments: Segment[] = [];
  private readonly segmentLength: number;
  private dropped = 0;

  /** `state`: the core's state now, where the recording starts. */
  constructor(
    capacity: number,
    private readonly fault: CoreFault | undefined,
    state: TapaState,
    at: number,
  ) {
    this.segmentLength = Math.max(1, Math.ceil(capacity / SEGMENTS));
    this.segments.push({ snapshot: saveState(state), at, steps: [] });
  }

  /** Steps the core on `event`, recording it; the step is recorded even if the core throws. */
  step(core: Core, state: TapaState, event: TapaEvent, at: number): TapaEffect[] {
    let segment = this.segments.at(-1)!;
    if (segment.steps.length >= this.segmentLength) {
      segment = { snapshot: saveState(state), at, steps: [] };
      this.segments.push(segment);
      if (this.segments.length > SEGMENTS) this.dropped += this.segments.shift()!.steps.length;
    }
    const recorded: { at: number; event: TapaEvent; effects?: readonly RecordedEffect[]; threw?: string } = { at, event };
    segment.steps.push(recorded);
    try {
      const effects = core(state, event);
      recorded.effects = recordedEffects(effects);
      return effects;
    } catch (err) {
      recorded.threw = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** What the ring holds now, without secrets; `why`, for whoever reads it. */
  recording(why: string, at: number): Recording {
    const first = this.segments[0]!;
    return redacted({
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      why,
      madeAt: at,
      ...(this.fault ? { fault: this.fault } : {}),
      dropped: this.dropped,
      startedAt: first.at,
      snapshot: JSON.parse(first.snapshot) as unknown,
      steps: this.segments.flatMap((s) => s.steps),
    });
  }
}
