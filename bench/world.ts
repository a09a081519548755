import type { ConduitConfig } from '../src/sim/world/nsp.js';
import type { Stream } from '../src/wire/ambassador/v1/tap.js';

/** The trench of the sidecar figures: `conduits` conduits of `streams` streams each, room for 100 targets per stream. */
export const BENCH_TRENCH = 'trench-a';

export function benchConduits(conduits: number, streams: number): ConduitConfig[] {
  return Array.from({ length: conduits }, (_, c) => ({
    name: conduitName(c),
    streams: Array.from({ length: streams }, (_, s) => ({ name: streamName(c, s), maxTargets: 100 })),
    flows: [{ name: `flow-${c}`, stream: streamName(c, 0), vips: ['20.0.0.1/32', '2000::1/128'] }],
  }));
}

/** The Tap message that opens stream `s` of conduit `c`. */
export function benchStream(c: number, s: number): Stream {
  return { name: streamName(c, s), conduit: { name: conduitName(c), trench: { name: BENCH_TRENCH } } };
}

function conduitName(c: number): string {
  return `load-balancer-${c}`;
}

function streamName(c: number, s: number): string {
  return `stream-${c}-${s}`;
}

/**
 * Asks the world process to answer `{ answered: id, enabled, at }` once at least `enabled`
 * targets are ENABLED in its NSP, of one stream (`stream` set) or of the whole trench;
 * `at` is when it saw them (ms since the epoch, sub-ms precision). With `hold`, the answer
 * waits for `{ collect: id }`: nothing reaches the bench while it times a call.
 */
export interface EnabledQuery {
  readonly id: number;
  readonly enabled: number;
  readonly stream?: Stream;
  readonly hold?: boolean;
}

export type ToWorld = EnabledQuery | { readonly collect: number };

export type WorldMessage =
  | { readonly ready: { readonly nspAddress: string; readonly nsmAddress: string } }
  | { readonly answered: number; readonly enabled: number; readonly at: number };

/** Now, in ms since the epoch with sub-ms precision: comparable between the bench's processes. */
export const epochNow = (): number => performance.timeOrigin + performance.now();
