import type { Model } from '../harness/model.js';
import { replay, type ReplayOutcome } from '../explore/replay.js';
import { tapaNames } from '../harness/start.js';
import type { Trace } from '../explore/trace.js';
import { swimlanePage } from './html.js';
import { Recorder } from './recorder.js';
import { timeline, type Timeline } from './timeline.js';

export type Drawn =
  | { readonly outcome: ReplayOutcome & { kind: 'diverged' } }
  | { readonly outcome: ReplayOutcome & { kind: 'passed' | 'failed' }; readonly timeline: Timeline; readonly html: string };

/**
 * Replays a trace on `model` and draws the run as a swimlane page. A run that diverges
 * from its log is not the recorded one, so it is not drawn.
 */
export function drawTrace(trace: Trace, model: Model): Drawn {
  const recorder = new Recorder();
  const outcome = replay(trace, model, recorder);
  if (outcome.kind === 'diverged') return { outcome };
  const t = timeline(recorder, {
    model: model.name,
    seed: trace.seed,
    tapas: tapaNames(trace.scenario, trace.start),
    failure: outcome.kind === 'failed' ? outcome.failure : undefined,
  });
  return { outcome, timeline: t, html: swimlanePage(t) };
}
