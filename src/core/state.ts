import { defaultConfig, type CoreConfig } from './config.js';
import type { ConnectionIdentity } from './connection.js';
import { IdMap } from './idmap.js';
import { createRng, type RngState } from './rng.js';
import type { Connection, NetworkServiceRequest, NspStream, TapStatus, TapStream } from './wire.js';

export interface TapaState {
  readonly config: CoreConfig;
  /** Identifier draws; seeded, so a run is a function of its seed and its events. */
  readonly rng: RngState;
  /** Next op or timer id. */
  nextId: number;
  readonly trenches: Map<string, TrenchState>;
  /** What Tap.Watch reports: the streams the application has open, by key, in order of Open. */
  readonly registry: Map<string, StreamAt>;
  /** Tap.Watch subscribers and their filters (undefined: everything). */
  readonly watchers: Map<number, TapStream | undefined>;
  /** Calls and watches in flight, by op id (an IdMap, made for the many ids live at once). */
  readonly pending: Map<number, Pending>;
  /** Timers set and not yet fired or cancelled, by id. */
  readonly timers: Map<number, TimerOwner>;
  /** The pod's interface of each NSM connection, by connection id (interfacename.ts). */
  readonly interfaceNames: Map<string, InterfaceName>;
  shutdown: 'running' | 'draining' | 'done';
  /** While draining: when the shutdown gives up on what is left. */
  shutdownTimer: number | undefined;
}

export interface InterfaceName {
  readonly name: string;
  /** Set once the connection is gone: when it fires, the name is free again. */
  release: number | undefined;
}

export interface TrenchState {
  readonly name: string;
  readonly conduits: Map<string, ConduitState>;
}

export type WatchKind = 'streams' | 'flows' | 'monitor';

export interface ConduitState {
  readonly trench: string;
  readonly name: string;
  readonly identity: ConnectionIdentity;
  /** Streams of this conduit, wanted or still being withdrawn. */
  readonly streams: Map<string, StreamState>;
  /** How many of `streams` the application wants open. */
  wanted: number;
  /** The NSP's stream list, by stream name; undefined until the first push. */
  nspStreams: Map<string, NspStream> | undefined;
  /** VIPs of the conduit's flows (canonical, sorted); undefined until the first push. */
  vips: string[] | undefined;
  /** Current op of each watch, or the timer that re-opens it. */
  readonly watches: Record<WatchKind, { op?: number; timer?: number }>;
  /**
   * Before the first request, the monitor's first event may hold a connection left by
   * a previous incarnation of this TAPA; 'waiting' until that event (or its timeout).
   */
  recovery: 'waiting' | 'done';
  recoveryTimer: number | undefined;
  /** What the next connect sends: initial, recovered, or a heal. */
  request: NetworkServiceRequest;
  /** A reselect is under way: NSM is told to Close this connection before `request` goes out. */
  reselecting: Connection | undefined;
  /** The connection as NSM last told us; undefined while not connected. */
  connection: Connection | undefined;
  /** NSM may hold a connection for us (a request went out, no close succeeded since). */
  held: boolean;
  /** Local IPs under the current connection; targets are registered with these. */
  localIps: string[];
  /** VIP set of the last successful update. */
  appliedVips: string[];
  /** The one NSM call in flight. */
  nsmOp: NsmOp | undefined;
  /** Back-off timer after a failed NSM call. */
  nsmTimer: number | undefined;
  /** Fires before the tokens on the connection's path expire. */
  refreshTimer: number | undefined;
  /** The refresh timer fired (or a refresh failed): the next NSM call is a refresh. */
  refreshDue: boolean;
}

/**
 * An NSM call. The monitor may report on the connection while the call is on its way;
 * the answer and the report can then disagree, and nothing tells which is newer.
 * `gone`: NSM reported it DOWN or deleted; `seen`: the last report of it UP.
 */
export type NsmOp = (
  { readonly call: 'connect' | 'close' | 'reselect' } | { readonly call: 'update' | 'refresh'; readonly vips: string[] }
) & {
  readonly id: number;
  gone?: boolean;
  seen?: Connection;
};

/** What we believe the NSP holds for a stream. */
export interface Registration {
  readonly ips: readonly string[];
  readonly identifier: number;
  /** UNKNOWN: a register call failed, so it may or may not have landed. */
  status: 'DISABLED' | 'ENABLED' | 'UNKNOWN';
}

export type TargetCall = 'lookup' | 'register' | 'verify' | 'enable' | 'refresh' | 'confirm' | 'unregister';

export interface TargetOp {
  readonly id: number;
  readonly call: TargetCall;
  readonly ips: readonly string[];
  readonly identifier: number;
  /** After this unregister, back off before trying again (the stream was full). */
  readonly thenBackoff?: boolean;
}

export interface StreamState {
  readonly trench: string;
  readonly conduit: string;
  readonly name: string;
  readonly key: string;
  /** The application's message from Open, echoed by Watch. */
  tap: TapStream;
  wanted: boolean;
  /** Last status published to watchers. */
  status: TapStatus;
  /** Identifier we hold or will try first; 0 for none. */
  identifier: number;
  registered: Registration | undefined;
  op: TargetOp | undefined;
  timer: { readonly id: number; readonly purpose: 'retry' | 'refresh' } | undefined;
  /** The last attempt failed; the stream reports UNAVAILABLE until one succeeds. */
  failed: boolean;
  redraws: number;
}

/**
 * Where a conduit is filed. Owners of calls and timers name what they belong to rather
 * than hold it, as quinn-proto and Redux keep state: the state is then plain data that a
 * copy (a recording's snapshot) restores whole, and an owner can never hold on to a
 * conduit or stream that was dropped.
 */
export interface ConduitAt {
  readonly trench: string;
  readonly conduit: string;
}

export interface StreamAt extends ConduitAt {
  readonly stream: string;
}

export type Pending =
  | (StreamAt & { readonly kind: 'target' })
  | (ConduitAt & { readonly kind: 'nsm' })
  | (ConduitAt & { readonly kind: 'watch'; readonly watch: WatchKind });

export type TimerOwner =
  | (StreamAt & { readonly kind: 'stream' })
  | (ConduitAt & { readonly kind: 'nsm' | 'recovery' | 'refresh' })
  | (ConduitAt & { readonly kind: 'watch'; readonly watch: WatchKind })
  | { readonly kind: 'interfaceName'; readonly connection: string }
  | { readonly kind: 'shutdown' };

export function initialState(seed: number, config: Partial<CoreConfig> = {}): TapaState {
  return {
    config: { ...defaultConfig, ...config },
    rng: createRng(seed),
    nextId: 1,
    trenches: new Map(),
    registry: new Map(),
    watchers: new Map(),
    pending: new IdMap(),
    timers: new IdMap(),
    interfaceNames: new Map(),
    shutdown: 'running',
    shutdownTimer: undefined,
  };
}
