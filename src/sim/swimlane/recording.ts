import type { Scope, TapaEvent } from '../../core/index.js';
import type { TapStream } from '../../core/wire.js';
import type { RecordedEffect, Recording } from '../../runner/recording.js';
import type { RecordingOutcome } from '../explore/recording.js';
import { NSM, NSP } from '../world/environment.js';
import { swimlanePage } from './html.js';
import { Recorder } from './recorder.js';
import { timeline, type Verdict } from './timeline.js';

/** Calls the NSM answers; every other call with an op is the NSP's. */
const NSM_CALLS: ReadonlySet<string> = new Set(['nsmRequest', 'nsmClose', 'monitorConnections']);
/** The lanes of lane.ts that a recording has: who sent the event. */
const APP = 'app';
const WORLD = 'world';
const TIMERS = 'timers';

/**
 * A sidecar's flight recording as a swimlane page: each recorded step is two rows, the
 * event arriving from its sender (the application, the NSP, NSM, a timer) and the core's
 * answer in the TAPA's lane, at the recorded time from the recording's start. The step at
 * which the replay broke an invariant or diverged carries the verdict's band.
 */
export function drawRecording(recording: Recording, outcome: RecordingOutcome): string {
  const tapa = tapaOf(recording);
  const calls = callsOf(recording);
  const recorder = new Recorder();
  const row = (time: number, actor: string, label: string, cause?: number): number => {
    const seq = recorder.steps.length;
    recorder.steps.push({ seq, time, actor, label });
    if (cause !== undefined) recorder.causes.set(seq, cause);
    return seq;
  };
  const coreRows: number[] = [];
  for (const [i, step] of recording.steps.entries()) {
    const time = step.at - recording.startedAt;
    const { actor, label } = sent(step.event, calls);
    const event = row(time, actor, `step ${i + 1}: ${label}`);
    const answer = step.threw === undefined ? answered(step.effects ?? []) : `threw: ${step.threw}`;
    coreRows.push(row(time, tapa, `${step.event.kind} -> ${answer}`, event));
  }
  const drawn = timeline(recorder, { model: 'recording', seed: 0, tapas: [tapa], failure: undefined });
  return swimlanePage({ ...drawn, verdict: verdictOf(recording, outcome, coreRows) });
}

function verdictOf(recording: Recording, outcome: RecordingOutcome, coreRows: readonly number[]): Verdict {
  if (outcome.kind === 'passed')
    return { kind: 'passed', message: 'every effect as recorded, every invariant held', time: undefined, step: undefined };
  const recorded = recording.steps[outcome.step - 1];
  return {
    kind: outcome.kind === 'failed' ? 'invariant' : 'diverged',
    message: outcome.message,
    time: recorded === undefined ? undefined : recorded.at - recording.startedAt,
    step: coreRows[outcome.step - 1],
  };
}

function tapaOf(recording: Recording): string {
  const config = (recording.snapshot as { config?: { name?: unknown } } | null)?.config;
  return typeof config?.name === 'string' && config.name !== '' ? config.name : 'TAPA';
}

/** What each op of the recording was, from the effect that started it (or, begun before the recording, its owner in the snapshot). */
function callsOf(recording: Recording): Map<number, { kind: string; scope?: Scope }> {
  const calls = new Map<number, { kind: string; scope?: Scope }>();
  const pending = (recording.snapshot as { pending?: Record<string, { kind?: string; watch?: string }> } | null)?.pending ?? {};
  for (const [op, owner] of Object.entries(pending)) calls.set(Number(op), { kind: owner.watch ?? owner.kind ?? 'call' });
  for (const step of recording.steps) {
    for (const e of step.effects ?? []) if ('op' in e && 'scope' in e) calls.set(e.op, { kind: e.kind, scope: e.scope });
  }
  return calls;
}

/** The sender of an event and what it says, in the words markKind (mark.ts) reads. */
function sent(event: TapaEvent, calls: ReadonlyMap<number, { kind: string; scope?: Scope }>): { actor: string; label: string } {
  switch (event.kind) {
    case 'tapOpen':
      return { actor: APP, label: `Tap.Open ${streamOf(event.stream)} #${event.request}` };
    case 'tapClose':
      return { actor: APP, label: `Tap.Close ${streamOf(event.stream)} #${event.request}` };
    case 'tapWatch':
      return { actor: APP, label: `Tap.Watch ${event.filter ? streamOf(event.filter) : '(all)'} #${event.watcher}` };
    case 'tapUnwatch':
      return { actor: APP, label: `Tap.Watch #${event.watcher} ends` };
    case 'timer':
      return { actor: TIMERS, label: `timer ${event.timer} fires` };
    case 'shutdown':
      return { actor: WORLD, label: 'shutdown asked' };
    default: {
      const call = calls.get(event.op);
      const kind = call?.kind ?? 'call';
      const actor = NSM_CALLS.has(kind) || event.kind === 'nsmConnection' || event.kind === 'nsmEvent' ? NSM : NSP;
      const about = [`op ${event.op}`, call?.scope && scopeOf(call.scope)].filter(Boolean).join(' ');
      if (event.kind === 'nsmEvent') return { actor, label: `MonitorConnections ${about}: ${event.event.type} event` };
      if (event.kind === 'done') return { actor, label: `${kind} ${about} -> ok` };
      if (event.kind === 'failed') return { actor, label: `${kind} ${about} -> ${event.error?.code ?? 'ended'}` };
      return { actor, label: `${event.kind} for ${kind} ${about}` };
    }
  }
}

/** The core's effects in one line: kinds, with how many of each. */
function answered(effects: readonly RecordedEffect[]): string {
  if (effects.length === 0) return 'nothing';
  const counts = new Map<string, number>();
  for (const e of effects) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n === 1 ? kind : `${kind} x${n}`)).join(', ');
}

function streamOf(s: TapStream | undefined): string {
  return s ? `${s.conduit?.trench?.name ?? ''}/${s.conduit?.name ?? ''}/${s.name}` : '(none)';
}

function scopeOf(scope: Scope): string {
  return [scope.trench, scope.conduit, scope.stream].filter(Boolean).join('/');
}
