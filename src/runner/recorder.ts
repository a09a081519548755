import { saveState, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
import type { Core, CoreFault } from './core-fault.js';
import { RECORDING_FORMAT, RECORDING_VERSION, recordedEffects, redacted, type Recording, type RecordedStep } from './recording.js';

/** A step as the ring keeps it: the core's own event and effects, by reference. */
interface KeptStep {
  readonly at: number;
  readonly event: TapaEvent;
  effects?: readonly TapaEffect[];
  threw?: string;
}

interface Segment {
  /** The state before the segment's first event (saveState). */
  readonly snapshot: string;
  readonly at: number;
  /** Events the segment takes before the next snapshot. */
  readonly length: number;
  readonly steps: KeptStep[];
}

/** Segments the ring is cut into: the ring keeps between (SEGMENTS - 1) and SEGMENTS of them. */
const SEGMENTS = 4;

/**
 * Snapshot bytes one recorded event pays for. A snapshot costs in proportion to the state
 * (about 6 MB of JSON at 10,000 streams, tens of ms), an event in the runner some µs: at
 * one snapshot per fixed number of events, the recorder would cost more than the core as
 * the state grows. A segment instead lasts until its events have paid for its snapshot, so
 * snapshots cost at most the JSON of 16 bytes per event, a few % of the cheapest events
 * (bench: runner.recorder_cost_ratio). The price is memory: the ring's events grow with
 * the state, to a few times the state's own JSON (docs/trace-format.md).
 */
const SNAPSHOT_BYTES_PER_EVENT = 16;

/**
 * The flight recorder: the last events the core stepped, with their times and effects,
 * and the state before the first of them, so that a recording replays from there.
 *
 * The ring is cut into segments, each with a snapshot of the state taken when it began;
 * when the ring is full its oldest segment goes, and the next one's snapshot becomes
 * the start. The alternative, a second state stepped along to stay at the ring's start,
 * would double the core's work on every event. Per event the recorder only keeps
 * references: the core and the runner never change an event or an effect after the step
 * (test/runner/recorder.test.ts freezes them to hold it to that). Digests of big Watch
 * snapshots and redaction of secrets are done when a recording is made.
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
    this.segments.push(this.segment(state, at));
  }

  /** Steps the core on `event`, recording it; the step is recorded even if the core throws. */
  step(core: Core, state: TapaState, event: TapaEvent, at: number): TapaEffect[] {
    let segment = this.segments.at(-1)!;
    if (segment.steps.length >= segment.length) {
      segment = this.segment(state, at);
      this.segments.push(segment);
      if (this.segments.length > SEGMENTS) this.dropped += this.segments.shift()!.steps.length;
    }
    const kept: KeptStep = { at, event };
    segment.steps.push(kept);
    try {
      return (kept.effects = core(state, event));
    } catch (err) {
      kept.threw = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** What the ring holds now, without secrets; `why`, for whoever reads it. */
  recording(why: string, at: number): Recording {
    const first = this.segments[0]!;
    const steps = this.segments.flatMap((s) => s.steps);
    return redacted({
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      why,
      madeAt: at,
      ...(this.fault ? { fault: this.fault } : {}),
      dropped: this.dropped,
      startedAt: first.at,
      snapshot: JSON.parse(first.snapshot) as unknown,
      steps: steps.map(recordedStep),
    });
  }

  private segment(state: TapaState, at: number): Segment {
    const snapshot = saveState(state);
    return { snapshot, at, length: Math.max(this.segmentLength, Math.ceil(snapshot.length / SNAPSHOT_BYTES_PER_EVENT)), steps: [] };
  }
}

function recordedStep(step: KeptStep): RecordedStep {
  if (step.effects) return { ...step, effects: recordedEffects(step.effects) };
  return step.threw === undefined ? { ...step, unfinished: true } : step;
}
