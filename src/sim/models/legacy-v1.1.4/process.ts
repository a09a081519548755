import { createRng, nextInt, type RngState } from '../../../core/rng.js';
import type { NspStream, TapStream } from '../../../core/wire.js';
import type { Go, Goroutine, Runtime } from '../../goroutine/index.js';
import type { Environment } from '../../world/environment.js';
import type { TapaSpec } from '../../harness/model.js';
import type { Conduit } from './conduit.js';
import type { ConduitConnect } from './conduit-connect.js';

/**
 * The pieces in which another Go TAPA version differs from v1.1.4, so that a model of
 * it (a test fixture of an older version, say) replaces those and reuses the rest.
 */
export interface Version {
  /** trench.conduitConnect: G-connect's retries and the disconnect that stops them. */
  readonly conduitConnect: (p: Proc, conduit: Conduit) => ConduitConnect;
}

/** What every object of one legacy TAPA process shares: its goroutine runtime, the world, its version's pieces. */
export interface Proc {
  readonly rt: Runtime;
  readonly env: Environment;
  readonly spec: TapaSpec;
  readonly rng: RngState;
  readonly version: Version;
}

export function newProc(rt: Runtime, env: Environment, spec: TapaSpec, version: Version): Proc {
  return { rt, env, spec, rng: createRng(spec.seed), version };
}

/**
 * `go fn()`: the goroutine is named `<tapa>/<Go function>`, so that the simulator maps its
 * steps to this TAPA (run.ts splits actors at '/') and pprof's normalizeFrame strips the
 * prefix like an import path.
 */
export function go(p: Proc, fn: string, body: () => Go<unknown>): Goroutine {
  return p.rt.go(`${p.spec.name}/${fn}`, body);
}

/** A uniformly random integer in [1, n]. */
export function randomIn(p: Proc, n: number): number {
  return nextInt(p.rng, n) + 1;
}

// v1.1.4 defaults and constants (reference §4.1, §4.4), virtual ms.
export const TIMEOUT = 15_000;
export const NSP_ENTRY_TIMEOUT = 30_000;
export const PENDING_TIME = 15_000;
export const STREAM_RETRY_DELAY = 1_000;
export const CONNECT_RETRY_DELAY = 2_000;
export const SET_VIPS_RETRY_DELAY = 1_000;
export const WATCH_FLOW_RETRY_DELAY = 2_000;
export const WATCH_STREAM_RETRY_DELAY = 500;
export const MONITOR_RETRY_DELAY = 5_000;
export const DEFAULT_MAX_TARGETS = 100;

/** `<stream>.<conduit>.<trench>` (reference §1.2). */
export function fullName(s: TapStream): string {
  return `${s.name}.${s.conduit?.name ?? ''}.${s.conduit?.trench?.name ?? ''}`;
}

/** NSP `<stream>.<conduit>.<trench>` of an NSP stream. */
export function nspFullName(s: NspStream): string {
  return `${s.name}.${s.conduit?.name ?? ''}.${s.conduit?.trench?.name ?? ''}`;
}

/** The ambassador → NSP conversion (maxTargets left 0). */
export function toNspStream(s: TapStream): NspStream {
  return {
    name: s.name,
    conduit: { name: s.conduit?.name ?? '', trench: { name: s.conduit?.trench?.name ?? '' }, destinationPortNats: [] },
    maxTargets: 0,
  };
}
