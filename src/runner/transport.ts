import type { CallError, Scope } from '../core/index.js';
import type {
  Connection,
  ConnectionEvent,
  MonitorScopeSelector,
  NetworkServiceRequest,
  NspFlow,
  NspStream,
  NspTarget,
} from '../core/wire.js';

/** How a call ended, as the runner hears it. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CallError };

/** Something in flight that can be stopped; stopping it reports nothing. */
export interface Cancellable {
  cancel(): void;
}

/** Request headers of a call, e.g. NSM's per-call token. */
export type Headers = Readonly<Record<string, string>>;

/** A token that proves our segment of an NSM path, and when it stops doing so. */
export interface PathToken {
  readonly token: string;
  readonly expires: Date;
}

/** The unary calls a TAPA makes, by the core's names for them. */
export interface UnaryRpcs {
  /** nsp.v1.TargetRegistry.Register */
  readonly register: { readonly request: NspTarget; readonly response: unknown };
  /** nsp.v1.TargetRegistry.Unregister */
  readonly unregister: { readonly request: NspTarget; readonly response: unknown };
  /** NetworkService.Request */
  readonly nsmRequest: { readonly request: NetworkServiceRequest; readonly response: Connection };
  /** NetworkService.Close */
  readonly nsmClose: { readonly request: Connection; readonly response: unknown };
}

/** The server streams a TAPA reads, by the core's names for them. */
export interface StreamRpcs {
  /** nsp.v1.TargetRegistry.Watch: every message is the full list of matching targets. */
  readonly getTargets: { readonly request: NspTarget; readonly message: readonly NspTarget[] };
  /** nsp.v1.ConfigurationManager.WatchStream */
  readonly watchStreams: { readonly request: NspStream; readonly message: readonly NspStream[] };
  /** nsp.v1.ConfigurationManager.WatchFlow */
  readonly watchFlows: { readonly request: NspFlow; readonly message: readonly NspFlow[] };
  /** MonitorConnection.MonitorConnections */
  readonly monitorConnections: { readonly request: MonitorScopeSelector; readonly message: ConnectionEvent };
}

export interface CallOptions {
  /** The core's number for the call, for logs. */
  readonly op: number;
  /**
   * When the call must be over, on the transport's clock; absent for watches. The runner
   * fails the call itself at that time, so a transport may use it or not.
   */
  readonly deadline?: number;
  readonly headers?: Headers;
}

/**
 * Everything the runner needs from the outside world: gRPC calls, a clock and a
 * wake-up. Production plugs in grpc-js and the wall clock; the simulator plugs in its
 * world models and virtual time, so that both run the same runner.
 *
 * A transport calls back asynchronously: never from inside `unary`, `stream` or
 * `token` themselves.
 */
export interface Transport {
  /** Milliseconds; only differences matter, except for token expiries (epoch ms). */
  now(): number;
  /** Call `wake` at `at` or soon after; replaces the previous request; undefined cancels it. */
  wakeAt(at: number | undefined, wake: () => void): void;
  /** `scope.trench` names the NSP for NSP calls. `done` is called once, unless cancelled. */
  unary<K extends keyof UnaryRpcs>(
    rpc: K,
    scope: Scope,
    request: UnaryRpcs[K]['request'],
    options: CallOptions,
    done: (outcome: Outcome<UnaryRpcs[K]['response']>) => void,
  ): Cancellable;
  /** Every message to `message`; the end, clean (no error) or not, once to `end`, unless cancelled. */
  stream<K extends keyof StreamRpcs>(
    rpc: K,
    scope: Scope,
    request: StreamRpcs[K]['request'],
    options: CallOptions,
    message: (value: StreamRpcs[K]['message']) => void,
    end: (error?: CallError) => void,
  ): Cancellable;
  /** A fresh token for our NSM path segment; undefined when NSM calls carry none (plaintext). */
  token(op: number, done: (outcome: Outcome<PathToken | undefined>) => void): Cancellable;
  /** No conduit of this trench is left: its NSP connection may be closed. */
  release(trench: string): void;
}
