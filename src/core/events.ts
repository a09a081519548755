import type { Connection, ConnectionEvent, NspFlow, NspStream, NspTarget, TapStream } from './wire.js';

/** A gRPC status, by its canonical code name, with a message for people. */
export interface CallError {
  readonly code: GrpcCode;
  readonly message: string;
}

export type GrpcCode =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/**
 * Everything that can happen to a TAPA. Results of calls the core asked for carry the
 * `op` of the effect that asked; a result for an op the core no longer waits for is
 * ignored, which is how the core cancels without locks.
 */
export type TapaEvent =
  /** Tap.Open arrived; `request` is echoed by the reply effect. */
  | { readonly kind: 'tapOpen'; readonly request: number; readonly stream: TapStream | undefined }
  /** Tap.Close arrived. */
  | { readonly kind: 'tapClose'; readonly request: number; readonly stream: TapStream | undefined }
  /** Tap.Watch subscribed with a filter (absent: everything). */
  | { readonly kind: 'tapWatch'; readonly watcher: number; readonly filter: TapStream | undefined }
  /** A Tap.Watch subscriber went away. */
  | { readonly kind: 'tapUnwatch'; readonly watcher: number }
  /** ConfigurationManager.WatchStream pushed the conduit's stream list. */
  | { readonly kind: 'nspStreams'; readonly op: number; readonly streams: readonly NspStream[] }
  /** ConfigurationManager.WatchFlow pushed the conduit's flows. */
  | { readonly kind: 'nspFlows'; readonly op: number; readonly flows: readonly NspFlow[] }
  /** The first message of a TargetRegistry.Watch asked for by a getTargets effect. */
  | { readonly kind: 'nspTargets'; readonly op: number; readonly targets: readonly NspTarget[] }
  /**
   * NetworkService.Request answered. `expiresInMs`: how long, measured by the shell when
   * the answer arrived, until the first token on the connection's path expires; absent
   * when the path carries no expiry (no tokens, so nothing to refresh).
   */
  | { readonly kind: 'nsmConnection'; readonly op: number; readonly connection: Connection; readonly expiresInMs?: number }
  /** MonitorConnection.MonitorConnections pushed an event. */
  | { readonly kind: 'nsmEvent'; readonly op: number; readonly event: ConnectionEvent }
  /** A unary call without a result of interest (Register, Unregister, NSM Close) succeeded. */
  | { readonly kind: 'done'; readonly op: number }
  /** A call failed, or a watch stream ended (error absent: the server closed it cleanly). */
  | { readonly kind: 'failed'; readonly op: number; readonly error?: CallError }
  /** A timer set by a setTimer effect fired. */
  | { readonly kind: 'timer'; readonly timer: number }
  /** The process is stopping: unregister every target, close every NSM connection. */
  | { readonly kind: 'shutdown' };
