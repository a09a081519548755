import { isDeepStrictEqual } from 'node:util';
import { invariants, loadState, saveState, type TapaEffect, type TapaEvent, type TapaState } from '../../core/index.js';
import { coreOf, isCoreFault } from '../../runner/core-fault.js';
import {
  RECORDING_FORMAT,
  RECORDING_VERSION,
  recordedEffects,
  redacted,
  type RecordedEffect,
  type Recording,
  type RecordedStep,
} from '../../runner/recording.js';
import { StartError, startingWorld, type Start } from '../harness/start.js';

/** A file that says it is a recording but cannot be one; the message says what is wrong. */
export class RecordingError extends Error {}

export type RecordingOutcome =
  | { readonly kind: 'passed'; readonly steps: number }
  /** The core broke an invariant or threw: what a recording of an incident is expected to show. */
  | { readonly kind: 'failed'; readonly step: number; readonly message: string }
  /** The core no longer does what it did when recorded (another version, or an edited recording). */
  | { readonly kind: 'diverged'; readonly step: number; readonly message: string };

/** Is this parsed JSON a recording rather than a trace? */
export function isRecording(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['format'] === RECORDING_FORMAT;
}

export function parseRecording(value: unknown): Recording {
  const r = value as Record<string, unknown>;
  if (r['version'] !== RECORDING_VERSION)
    throw new RecordingError(`recording version ${String(r['version'])}: this tapa-sim reads version ${RECORDING_VERSION}`);
  if (r['fault'] !== undefined && !isCoreFault(r['fault']))
    throw new RecordingError(`recorded with an unknown core fault ${JSON.stringify(r['fault'])}`);
  if (typeof r['snapshot'] !== 'object' || r['snapshot'] === null) throw new RecordingError('the recording has no snapshot of the state');
  if (!Array.isArray(r['steps'])) throw new RecordingError('the recording has no steps');
  for (const [i, s] of (r['steps'] as unknown[]).entries()) {
    const step = s as Partial<Record<keyof RecordedStep, unknown>> | null;
    const ok = typeof step === 'object' && step !== null && typeof step.event === 'object' && step.event !== null;
    const last = i === (r['steps'] as unknown[]).length - 1;
    if (!ok || (!Array.isArray(step.effects) && typeof step.threw !== 'string' && !(last && step.unfinished === true))) {
      throw new RecordingError(`step ${i + 1} is not an event with its effects (or what the core threw, or, last, unfinished)`);
    }
  }
  return value as Recording;
}

/**
 * Replays a recording: restores the state at its start, steps the core (the recorded
 * fault's, if any) on every event, and checks at each step that the effects are the
 * recorded ones, then that the invariants hold. Effects are compared as data, with the
 * secrets taken out as the recorder takes them out, so key order and redacted tokens do
 * not count. Steps are numbered from 1.
 */
export function replayRecording(recording: Recording): RecordingOutcome {
  return stepThrough(recording, recording.steps.length, () => {}).outcome;
}

/**
 * Replays the first `limit` steps; `stepped` sees each step that held, with the core's
 * effects. The state is where the replay stopped.
 */
function stepThrough(
  recording: Recording,
  limit: number,
  stepped: (recorded: RecordedStep, effects: readonly TapaEffect[]) => void,
): { outcome: RecordingOutcome; state: TapaState } {
  const core = coreOf(recording.fault);
  const state = loadState(JSON.stringify(recording.snapshot));
  const end = (outcome: RecordingOutcome) => ({ outcome, state });
  const before = invariants(state);
  if (before.length > 0)
    return end({ kind: 'failed', step: 0, message: `the recorded state breaks invariants before the first step: ${before.join('; ')}` });
  for (const [i, recorded] of recording.steps.slice(0, limit).entries()) {
    const n = i + 1;
    const where = `step ${n} (${describe(recorded.event)}, t=+${recorded.at - recording.startedAt} ms)`;
    if (recorded.unfinished) {
      // Stepping it again would most likely hold this process the way it held the sidecar.
      return end({
        kind: 'failed',
        step: n,
        message: `${where}: the core was stuck on this event when the recording was made; not replayed`,
      });
    }
    let effects: TapaEffect[];
    try {
      effects = core(state, structuredClone(recorded.event));
    } catch (err) {
      return end({ kind: 'failed', step: n, message: `${where}: the core threw: ${(err as Error).message}` });
    }
    const diff = firstDifference(recorded.effects ?? [], redacted(recordedEffects(effects)));
    if (recorded.threw !== undefined)
      return end({ kind: 'diverged', step: n, message: `${where}: recorded the core throwing "${recorded.threw}", it no longer does` });
    if (diff) return end({ kind: 'diverged', step: n, message: `${where}: ${diff}` });
    const broken = invariants(state);
    if (broken.length > 0) return end({ kind: 'failed', step: n, message: `${where}: invariants broken: ${broken.join('; ')}` });
    stepped(recorded, effects);
  }
  return end({ kind: 'passed', steps: Math.min(limit, recording.steps.length) });
}

/**
 * Where `hunt --from-recording` starts: the core at the end of the recording, or, when a
 * step broke an invariant, just before that step (the incident is what the hunt looks
 * for ways to). The calls it then waits for are made again, with the effects that made
 * them; its timers are set again for what was left of them when the recording ends.
 * A recording that no longer replays says nothing certain about any state: refused.
 */
export function startOf(recording: Recording): Start {
  const first = replayRecording(recording);
  if (first.kind === 'diverged') throw new RecordingError(`the core no longer does what was recorded, at ${first.message}`);
  if (first.kind === 'failed' && first.step === 0) throw new RecordingError(first.message);
  const steps = first.kind === 'failed' ? first.step - 1 : recording.steps.length;
  const calls = new Map<number, { effect: TapaEffect; cause: TapaEvent }>();
  const timers = new Map<number, { effect: TapaEffect & { kind: 'setTimer' }; cause: TapaEvent; due: number }>();
  const { state } = stepThrough(recording, steps, (recorded, effects) => {
    for (const effect of effects) {
      if (effect.kind === 'setTimer') timers.set(effect.timer, { effect, cause: recorded.event, due: recorded.at + effect.afterMs });
      else if ('op' in effect && effect.kind !== 'cancel') calls.set(effect.op, { effect, cause: recorded.event });
    }
  });
  const now = recording.steps[steps]?.at ?? recording.madeAt;
  const start: Start = {
    recording: recording.why,
    steps,
    state: JSON.parse(saveState(state)) as unknown,
    resume: [
      ...[...state.pending.keys()].flatMap((op) => calls.get(op) ?? []),
      // A timer set before the recording began fires at once: when it was due is not known.
      ...[...state.timers.keys()].map((id) => {
        const timer = timers.get(id);
        return timer
          ? { effect: { ...timer.effect, afterMs: Math.max(0, timer.due - now) }, cause: timer.cause }
          : { effect: { kind: 'setTimer', timer: id, afterMs: 0 } as const, cause: { kind: 'timer', timer: id } as const };
      }),
    ],
    lost: [...state.pending.keys()].filter((op) => !calls.has(op)),
  };
  try {
    startingWorld(start);
  } catch (e) {
    if (e instanceof StartError) throw new RecordingError(e.message);
    throw e;
  }
  return start;
}

function firstDifference(recorded: readonly RecordedEffect[], replayed: readonly RecordedEffect[]): string | undefined {
  for (let i = 0; i < Math.max(recorded.length, replayed.length); i++) {
    const was = recorded[i];
    const now = replayed[i];
    if (isDeepStrictEqual(was, now)) continue;
    return `effect ${i + 1} differs: recorded ${show(was)}, replayed ${show(now)}`;
  }
  return undefined;
}

function show(effect: RecordedEffect | undefined): string {
  if (!effect) return 'nothing';
  const text = JSON.stringify(effect);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function describe(event: TapaEvent): string {
  if ('op' in event) return `${event.kind} op ${event.op}`;
  if (event.kind === 'timer') return `timer ${event.timer}`;
  return event.kind;
}
