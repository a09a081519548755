import type { CallError } from './events.js';
import type { TargetCall } from './state.js';
import type { MonitorScopeSelector, NetworkServiceRequest, Connection, NspFlow, NspStream, NspTarget, StreamStatus } from './wire.js';

/** Where an effect belongs, for routing (the trench picks the NSP) and for log fields. */
export interface Scope {
  readonly trench: string;
  readonly conduit?: string;
  readonly stream?: string;
}

/**
 * Everything a TAPA asks the world to do, as data. Calls carry an `op` that comes back
 * on the result event, and a deadline: the runner must deliver a result, at the latest
 * a DEADLINE_EXCEEDED failure, within `deadlineMs` of starting the call.
 */
export type TapaEffect =
  /** Answer a Tap.Open or Tap.Close; no error means OK. */
  | { readonly kind: 'reply'; readonly request: number; readonly error?: CallError }
  /** Send a Tap.Watch subscriber a new snapshot. */
  | { readonly kind: 'publish'; readonly watcher: number; readonly statuses: readonly StreamStatus[] }
  /** TargetRegistry.Register. */
  | (TargetProtocol & { readonly kind: 'register'; readonly target: NspTarget })
  /** TargetRegistry.Unregister. */
  | (TargetProtocol & { readonly kind: 'unregister'; readonly target: NspTarget })
  /** TargetRegistry.Watch with this filter; answer with its first message, then cancel it. */
  | (TargetProtocol & { readonly kind: 'getTargets'; readonly filter: NspTarget })
  /** ConfigurationManager.WatchStream until cancelled; every message is an nspStreams event. */
  | { readonly kind: 'watchStreams'; readonly op: number; readonly scope: Scope; readonly filter: NspStream }
  /** ConfigurationManager.WatchFlow until cancelled; every message is an nspFlows event. */
  | { readonly kind: 'watchFlows'; readonly op: number; readonly scope: Scope; readonly filter: NspFlow }
  /** NetworkService.Request. */
  | {
      readonly kind: 'nsmRequest';
      readonly op: number;
      readonly scope: Scope;
      readonly request: NetworkServiceRequest;
      readonly deadlineMs: number;
    }
  /** NetworkService.Close. */
  | { readonly kind: 'nsmClose'; readonly op: number; readonly scope: Scope; readonly connection: Connection; readonly deadlineMs: number }
  /** MonitorConnection.MonitorConnections until cancelled; every message is an nsmEvent. */
  | { readonly kind: 'monitorConnections'; readonly op: number; readonly scope: Scope; readonly selector: MonitorScopeSelector }
  /** Stop a watch; its later messages would be ignored anyway. */
  | { readonly kind: 'cancel'; readonly op: number }
  | { readonly kind: 'setTimer'; readonly timer: number; readonly afterMs: number }
  | { readonly kind: 'cancelTimer'; readonly timer: number }
  /** No conduit of this trench is left: its NSP connection can be closed. */
  | { readonly kind: 'releaseTrench'; readonly trench: string }
  /**
   * Everything the shutdown event asked for is done, or given up on: `abandoned` counts
   * the targets not known to be unregistered and the NSM connections not known to be
   * closed when the shutdown's time ran out.
   */
  | { readonly kind: 'shutdownComplete'; readonly abandoned?: { readonly targets: number; readonly connections: number } };

export type CallEffect = Extract<TapaEffect, { op: number }>;

/**
 * What the NSP calls of a stream's target share. `step` names the step of the target
 * protocol the call is (target.ts): under load, the runner lets keep-alives of ENABLED
 * targets through first, then withdrawals, then acquisitions, the furthest along first.
 */
interface TargetProtocol {
  readonly op: number;
  readonly scope: Scope;
  readonly step: TargetCall;
  readonly deadlineMs: number;
}
