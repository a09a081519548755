import { loadState, noChanges, saveState, type TapaEffect, type TapaEvent, type TapaState } from '../core/index.js';
import type { Core, CoreFault } from './core-fault.js';
import { RECORDING_FORMAT, RECORDING_VERSION, recordedEffects, redacted, type Recording, type RecordedStep } from './recording.js';
import { applyDelta, takeDelta, type StateDelta } from './state-delta.js';

/**
 * A segment's steps: the core's own events, by reference, and what each step returned, in
 * arrays that are used again when the segment goes, so that a step costs the ring no allocation.
 */
interface Segment {
  at: number;
  length: number;
  readonly ats: Float64Array;
  readonly events: TapaEvent[];
  /**
   * How many effects the core returned, THREW, or UNFINISHED while the core is on the step
   * (a recording made then, by the watchdog, shows the step the core is stuck on).
   */
  readonly outcomes: Int32Array;
  /** What the core threw, by step. */
  readonly threw: Map<number, string>;
  /** What the segment's steps did to the state; set when the segment is over. */
  delta?: StateDelta;
}

const UNFINISHED = -1;
const THREW = -2;

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
 * the core's work.
 *
 * Per event the recorder keeps the event, by reference (the core and the runner never
 * change one after its step: test/runner/recorder.test.ts freezes them to hold them to
 * it), and how many effects the core returned, not the effects: kept for the length of the
 * ring, every effect outlived the young generation, and copying them out of it was 40 % of
 * what the recorder had the garbage collector promote (bench/recorder-figures.ts). The
 * core is a function of the state and the event, so a recording gets its effects by
 * stepping the events again from the copy of the state at the ring's start; each step's
 * count, and whether it threw, is checked against what it did live. Redaction of secrets
 * is done when a recording is made.
 */
export class Recorder {
  private readonly segments: Segment[] = [];
  private readonly segmentLength: number;
  /** The state before the first kept step. */
  private readonly start: TapaState;
  private changes = noChanges();
  private dropped = 0;

  /** `core`: what the runner steps, which a recording steps again; `state`: the core's state now, where the recording starts. */
  constructor(
    capacity: number,
    private readonly core: Core,
    private readonly fault: CoreFault | undefined,
    state: TapaState,
    at: number,
  ) {
    this.segmentLength = Math.max(1, Math.ceil(capacity / SEGMENTS));
    this.start = loadState(saveState(state));
    this.segments.push(this.emptySegment(at));
  }

  /** Steps the core on `event`, recording it; the step is recorded even if the core throws. */
  step(core: Core, state: TapaState, event: TapaEvent, at: number): TapaEffect[] {
    let segment = this.segments.at(-1)!;
    if (segment.length >= this.segmentLength) {
      segment.delta = takeDelta(state, this.changes);
      this.changes = noChanges();
      segment = this.segments.length < SEGMENTS ? this.emptySegment(at) : this.dropOldest(at);
      this.segments.push(segment);
    }
    const i = segment.length++;
    segment.ats[i] = at;
    segment.events[i] = event;
    segment.outcomes[i] = UNFINISHED;
    try {
      const effects = core(state, event, this.changes);
      segment.outcomes[i] = effects.length;
      return effects;
    } catch (err) {
      segment.outcomes[i] = THREW;
      segment.threw.set(i, messageOf(err));
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
    oldest.threw.clear();
    oldest.delta = undefined;
    return oldest;
  }

  private emptySegment(at: number): Segment {
    const n = this.segmentLength;
    return { at, length: 0, ats: new Float64Array(n), events: [], outcomes: new Int32Array(n), threw: new Map() };
  }

  /** What the ring holds now, without secrets; `why`, for whoever reads it. */
  recording(why: string, at: number): Recording {
    const saved = saveState(this.start);
    const { steps, otherwise } = this.steppedAgain(loadState(saved));
    return redacted({
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      why: otherwise === undefined ? why : `${why}; ${otherwise}`,
      madeAt: at,
      ...(this.fault ? { fault: this.fault } : {}),
      dropped: this.dropped,
      startedAt: this.segments[0]!.at,
      snapshot: JSON.parse(saved) as unknown,
      steps,
    });
  }

  /**
   * The kept steps with their effects, the core stepped again on `state` (a copy of the state
   * at the ring's start); `otherwise` names the first step that came out otherwise than it
   * did live, should the core not be the function of state and event it is held to be.
   */
  private steppedAgain(state: TapaState): { steps: RecordedStep[]; otherwise?: string } {
    const steps: RecordedStep[] = [];
    let otherwise: string | undefined;
    for (const segment of this.segments) {
      for (let i = 0; i < segment.length; i++) {
        const [at, event, live] = [segment.ats[i]!, segment.events[i]!, segment.outcomes[i]!];
        // Stepping it again would hold this process the way it holds the runner now.
        if (live === UNFINISHED) {
          steps.push({ at, event, unfinished: true });
          continue;
        }
        let step: RecordedStep;
        let again: string;
        try {
          const effects = this.core(state, event);
          step = { at, event, effects: recordedEffects(effects) };
          again = `${effects.length} effects`;
        } catch (err) {
          step = { at, event, threw: messageOf(err) };
          again = `threw ${step.threw}`;
        }
        const before = live === THREW ? `threw ${segment.threw.get(i)!}` : `${live} effects`;
        if (again !== before)
          otherwise ??= `step ${steps.length + 1} (${event.kind}) came out ${again} when the recording was made, ${before} live`;
        steps.push(step);
      }
    }
    return otherwise === undefined ? { steps } : { steps, otherwise };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
