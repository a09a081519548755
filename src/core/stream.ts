import { limits } from './config.js';
import { sameSet } from './prefix.js';
import type { ConduitState, StreamState, TapaState } from './state.js';
import type { NspStream, TapStatus, TapStream } from './wire.js';

/**
 * Identity of a stream inside the TAPA: the (trench, conduit, stream) name triple.
 * JSON keeps the triple unambiguous where Meridio's dotted full name would not be
 * ("a.b" + "c" and "a" + "b.c").
 */
export function streamKey(trench: string, conduit: string, stream: string): string {
  return JSON.stringify([trench, conduit, stream]);
}

export function createStream(trench: string, conduit: string, name: string, tap: TapStream): StreamState {
  return {
    trench,
    conduit,
    name,
    key: streamKey(trench, conduit, name),
    tap,
    wanted: true,
    status: 'UNAVAILABLE',
    identifier: 0,
    registered: undefined,
    op: undefined,
    timer: undefined,
    failed: false,
    redraws: 0,
  };
}

/** What the NSP should hold for a stream right now, or undefined for nothing. */
export interface Desired {
  readonly ips: readonly string[];
  readonly maxTargets: number;
}

export function desired(state: TapaState, stream: StreamState, conduit: ConduitState): Desired | undefined {
  if (!stream.wanted || state.shutdown !== 'running') return undefined;
  if (!conduit.connection || conduit.localIps.length === 0) return undefined;
  const nsp = conduit.nspStreams?.get(stream.name);
  if (!nsp) return undefined;
  return { ips: conduit.localIps, maxTargets: maxTargetsOf(nsp) };
}

/** NSPs older than Meridio v0.9 send no maxTargets; it then means the default. */
export function maxTargetsOf(nsp: NspStream): number {
  return nsp.maxTargets > 0 ? nsp.maxTargets : limits.defaultMaxTargets;
}

/**
 * The Watch status, derived from state rather than set along the way, so it can never
 * disagree with what the TAPA is doing:
 * - UNAVAILABLE: no NSM connection or no local IPs, or the last NSP attempt failed;
 * - UNDEFINED: connected, but the NSP does not (yet) define the stream;
 * - OPEN: a target is ENABLED under the current local IPs;
 * - PENDING: on its way to OPEN.
 */
export function statusOf(stream: StreamState, conduit: ConduitState): TapStatus {
  if (!conduit.connection || conduit.localIps.length === 0) return 'UNAVAILABLE';
  if (!conduit.nspStreams?.has(stream.name)) return 'UNDEFINED';
  if (stream.failed) return 'UNAVAILABLE';
  return enabledUnder(stream, conduit.localIps) ? 'OPEN' : 'PENDING';
}

export function enabledUnder(stream: StreamState, ips: readonly string[]): boolean {
  const reg = stream.registered;
  return reg !== undefined && reg.status === 'ENABLED' && sameSet(reg.ips, ips);
}
