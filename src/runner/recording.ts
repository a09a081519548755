import { createHash } from 'node:crypto';
import type { TapaEffect, TapaEvent } from '../core/index.js';
import type { CoreFault } from './core-fault.js';

export const RECORDING_FORMAT = 'tapa-recording';
export const RECORDING_VERSION = 1;

/** One step of the core as the sidecar made it: the event, when (transport clock, ms), and what the core answered. */
export interface RecordedStep {
  readonly at: number;
  readonly event: TapaEvent;
  /** Absent when the core threw instead. */
  readonly effects?: readonly RecordedEffect[];
  /** The core threw this message. */
  readonly threw?: string;
  /**
   * The core was still on this event when the recording was made: the event loop was
   * stuck in it (the watchdog's dump). Only ever the last step.
   */
  readonly unfinished?: true;
}

/** A flight recording (docs/trace-format.md): the state at the start, then every step since. */
export interface Recording {
  readonly format: typeof RECORDING_FORMAT;
  readonly version: typeof RECORDING_VERSION;
  /** Why it was made: on demand, a broken invariant, a shutdown that timed out, a crash. */
  readonly why: string;
  readonly madeAt: number;
  /** The core ran with this test-only fault (core-fault.ts). */
  readonly fault?: CoreFault;
  /** Events stepped before `snapshot` and no longer kept. */
  readonly dropped: number;
  readonly startedAt: number;
  /** The core's state before the first step, as saveState writes it (parsed). */
  readonly snapshot: unknown;
  readonly steps: readonly RecordedStep[];
}

/** A Watch snapshot of more streams than this is recorded as a digest. */
const LISTED_STATUSES = 16;

/** An effect as recorded: as the core returned it, but a big Watch snapshot as a digest. */
export type RecordedEffect =
  TapaEffect | { readonly kind: 'publish'; readonly watcher: number; readonly streams: number; readonly sha1: string };

/**
 * Every step of a Watch subscriber may carry a snapshot of every stream; kept whole, a
 * recording would be made of thousands of copies of a big registry. The recorder digests
 * them as it makes a recording, and replay compares digests with digests, made the same way.
 */
export function recordedEffects(effects: readonly TapaEffect[]): readonly RecordedEffect[] {
  if (!effects.some(isBig)) return effects;
  return effects.map((e) =>
    e.kind === 'publish' && isBig(e)
      ? {
          kind: 'publish',
          watcher: e.watcher,
          streams: e.statuses.length,
          sha1: createHash('sha1').update(JSON.stringify(e.statuses)).digest('hex'),
        }
      : e,
  );
}

function isBig(e: TapaEffect): boolean {
  return e.kind === 'publish' && e.statuses.length > LISTED_STATUSES;
}

/** What a secret is replaced by. */
export const REDACTED = '[redacted]';

/**
 * Takes the secrets out: NSM path tokens (JWTs) under any `token` key, and anything else
 * that looks like a JWT or a PEM block (keys, certificates). The core never looks
 * inside a token, it only carries it from an NSM answer to the next request, so a
 * recording redacted throughout replays the same: a redacted token in, the same out.
 */
export function redacted<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => {
      if (typeof v !== 'string' || v === '') return v;
      return key === 'token' || JWT.test(v) || v.includes('-----BEGIN') ? REDACTED : v;
    }),
  ) as T;
}

const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;
