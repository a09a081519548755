import { limits } from './config.js';
import {
  connectionIdentity,
  initialRequest,
  ownConnection,
  recoveredConnection,
  refreshRequest,
  reselectRequest,
  takeOverRequest,
  updateRequest,
} from './connection.js';
import type { TapaEvent } from './events.js';
import { assertNever } from './exhaustive.js';
import { claimInterfaceName, INTERFACE_NAME_KEY, interfaceNameOf, releaseInterfaceName, withInterfaceName } from './interfacename.js';
import { localIps } from './localips.js';
import { sameSet } from './prefix.js';
import type { ConduitState, NsmOp, WatchKind } from './state.js';
import { conduitAt } from './trench.js';
import type { Turn } from './turn.js';
import { vipContext, vipsOfFlows } from './vip.js';
import type { Connection, NetworkServiceRequest, NspStream } from './wire.js';

/**
 * A conduit: one NSM connection to the conduit's proxy, plus the NSP watches of its
 * stream list and flows, and the NSM monitor of the connection (reference §3).
 *
 * Like a stream, a conduit reconciles: at most one NSM call in flight, and when it
 * returns, the next one is chosen from what is wanted now. Where Go stops and restarts
 * the streams under the conduit lock when the local IPs change (the cause of #578),
 * here the conduit only records the new IPs and marks its streams; each stream then
 * moves its target on its own, one NSP call at a time.
 */
export function createConduit(turn: Turn, trench: string, name: string): ConduitState {
  const { config } = turn.state;
  const identity = connectionIdentity(config.name, config.namespace, trench, name);
  const conduit: ConduitState = {
    trench,
    name,
    identity,
    streams: new Map(),
    wanted: 0,
    nspStreams: undefined,
    vips: undefined,
    watches: { streams: {}, flows: {}, monitor: {} },
    recovery: 'waiting',
    recoveryTimer: undefined,
    request: initialRequest(identity, config.node),
    reselecting: undefined,
    connection: undefined,
    held: false,
    localIps: [],
    appliedVips: [],
    nsmOp: undefined,
    nsmTimer: undefined,
    refreshTimer: undefined,
    refreshDue: false,
  };
  for (const watch of ['streams', 'flows', 'monitor'] as const) openWatch(turn, conduit, watch);
  // A monitor that never says anything must not keep the conduit from connecting.
  conduit.recoveryTimer = turn.setTimer({ kind: 'recovery', ...conduitAt(conduit) }, config.timeoutMs);
  return conduit;
}

/** Returns false once the conduit is gone. */
export function reconcileConduit(turn: Turn, conduit: ConduitState): boolean {
  if (conduit.nsmOp || conduit.nsmTimer !== undefined) return true;
  const needed = conduit.wanted > 0 && turn.state.shutdown === 'running';
  if (!needed) {
    // Targets first: the NSP must stop sending traffic before the interface goes. Not at
    // shutdown: the pod is going anyway, and an NSP that is down or slow must not keep
    // its NSM connections open (the unregisters go out at the same time).
    const draining = turn.state.shutdown !== 'running';
    if (conduit.streams.size > 0 && !draining) return true;
    if (conduit.held) {
      const connection = conduit.connection ?? conduit.reselecting ?? conduit.request.connection;
      if (connection) {
        conduit.nsmOp = { id: nsmCall(turn, conduit, { kind: 'nsmClose', connection }), call: 'close' };
        return true;
      }
    }
    if (conduit.streams.size > 0) return true;
    stop(turn, conduit);
    return false;
  }
  if (conduit.recovery === 'waiting') return true;
  if (!conduit.connection && conduit.reselecting) {
    const connection = conduit.reselecting;
    conduit.nsmOp = { id: nsmCall(turn, conduit, { kind: 'nsmClose', connection }), call: 'reselect' };
    return true;
  }
  if (!conduit.connection) {
    const request = withInterfaceName(conduit.request, interfaceNameOf(turn, conduit.identity.id));
    conduit.held = true;
    conduit.nsmOp = { id: nsmCall(turn, conduit, { kind: 'nsmRequest', request }), call: 'connect' };
    return true;
  }
  // Any request renews the path's tokens, so an update makes a due refresh unnecessary.
  const vips = conduit.vips;
  if (vips && !sameSet(vips, conduit.appliedVips)) {
    const request = updateRequest(conduit.connection, vipContext(conduit.connection.context?.ipContext, conduit.localIps, vips));
    conduit.refreshDue = false;
    conduit.nsmOp = { id: nsmCall(turn, conduit, { kind: 'nsmRequest', request }), call: 'update', vips };
  } else if (conduit.refreshDue) {
    const request = refreshRequest(conduit.connection);
    conduit.refreshDue = false;
    conduit.nsmOp = { id: nsmCall(turn, conduit, { kind: 'nsmRequest', request }), call: 'refresh', vips: conduit.appliedVips };
  }
  return true;
}

const RETRY_MS = {
  connect: limits.connectRetryMs,
  close: limits.connectRetryMs,
  reselect: limits.connectRetryMs,
  update: limits.vipRetryMs,
  refresh: limits.refreshRetryMs,
} as const;

function backOff(turn: Turn, conduit: ConduitState, call: NsmOp['call']): void {
  // A refresh that failed is still owed; the tokens keep running out meanwhile.
  if (call === 'refresh' && conduit.connection) conduit.refreshDue = true;
  conduit.nsmTimer = turn.setTimer({ kind: 'nsm', ...conduitAt(conduit) }, RETRY_MS[call]);
}

/**
 * Refresh when part of the tokens' remaining life has passed, as NSM's own clients do:
 * a third with one path segment, and between a fifth and two fifths, by position, on a
 * longer path, so that the hops of a chain do not all refresh at once.
 */
function armRefresh(turn: Turn, conduit: ConduitState, connection: Connection, expiresInMs: number | undefined): void {
  turn.cancelTimer(conduit.refreshTimer);
  conduit.refreshTimer = undefined;
  if (expiresInMs === undefined) return;
  const path = connection.path;
  const segments = path?.pathSegments.length ?? 0;
  const scale = path && segments > 1 ? 0.2 + (0.2 * path.index) / segments : 1 / 3;
  conduit.refreshTimer = turn.setTimer({ kind: 'refresh', ...conduitAt(conduit) }, Math.max(1, Math.floor(expiresInMs * scale)));
}

type ConduitResult = Extract<TapaEvent, { op: number }>;

export function onNsmResult(turn: Turn, conduit: ConduitState, result: ConduitResult): void {
  const op = conduit.nsmOp;
  if (op?.id !== result.op) return;
  conduit.nsmOp = undefined;
  if (op.call === 'reselect') {
    // The Close that begins a reselect. Like NSM's heal, the Request follows whether or
    // not the Close went through: a connection NSM still holds is moved by the reselect.
    conduit.reselecting = undefined;
  } else if (op.call === 'close' && result.kind === 'done') {
    setDisconnected(turn, conduit);
    conduit.held = false;
    conduit.reselecting = undefined;
    conduit.request = initialRequest(conduit.identity, turn.state.config.node);
  } else if (op.call !== 'close' && result.kind === 'nsmConnection' && overtaken(conduit, op, result.connection)) {
    // Rather than guess which is newer, ask again, from the answer (NSM Requests are
    // idempotent, and the answer's path keeps it the same connection): a connect is
    // repeated, an update is re-sent from what the monitor reported. A reselect or a
    // recovery was carried out by this answer all the same: repeating it would make NSM
    // pick yet another path, and new IPs, every time.
    if (op.call === 'connect') conduit.request = refreshRequest(result.connection);
    conduit.appliedVips = [];
    updateLocalIps(conduit);
  } else if (op.call !== 'close' && result.kind === 'nsmConnection' && result.connection.state === 'DOWN') {
    // NSM answered with a connection whose data path is down: heal it by reselecting.
    reselect(turn, conduit, result.connection);
  } else if (op.call !== 'close' && result.kind === 'nsmConnection') {
    conduit.connection = result.connection;
    conduit.appliedVips = 'vips' in op ? op.vips : [];
    updateLocalIps(conduit);
    armRefresh(turn, conduit, result.connection, result.expiresInMs);
  } else {
    // Failed, or answered with the wrong kind of result, which counts as failed.
    return backOff(turn, conduit, op.call);
  }
  turn.touchConduit(conduit);
}

const PUSHES = { streams: 'nspStreams', flows: 'nspFlows', monitor: 'nsmEvent' } as const;

export function onWatchResult(turn: Turn, conduit: ConduitState, watch: WatchKind, result: ConduitResult): void {
  if (result.kind === 'failed') {
    // The watch ended; the last list stays in force until a new one arrives.
    turn.settleCall(result.op);
    conduit.watches[watch].op = undefined;
    conduit.watches[watch].timer = turn.setTimer({ kind: 'watch', ...conduitAt(conduit), watch }, retryDelay(watch));
    if (watch === 'monitor') monitorLost(turn, conduit);
    return;
  }
  if (result.kind !== PUSHES[watch]) return; // not something this watch can say
  switch (result.kind) {
    case 'nspStreams':
      conduit.nspStreams = streamMap(conduit, result.streams);
      turn.touchConduit(conduit);
      return;
    case 'nspFlows':
      conduit.vips = vipsOfFlows(result.flows);
      updateLocalIps(conduit);
      turn.touchConduit(conduit);
      return;
    case 'nsmEvent':
      return onMonitorEvent(turn, conduit, result.event);
    default:
      return;
  }
}

export function onConduitTimer(turn: Turn, conduit: ConduitState, owner: 'nsm' | 'recovery' | 'refresh' | WatchKind): void {
  // None of these changes what a stream sees; only the conduit has a next step to take.
  turn.markConduit(conduit);
  if (owner === 'nsm') conduit.nsmTimer = undefined;
  else if (owner === 'refresh') {
    conduit.refreshTimer = undefined;
    conduit.refreshDue = true;
  } else if (owner === 'recovery') {
    conduit.recoveryTimer = undefined;
    endRecovery(turn, conduit);
  } else {
    conduit.watches[owner].timer = undefined;
    openWatch(turn, conduit, owner);
  }
}

function onMonitorEvent(turn: Turn, conduit: ConduitState, event: Extract<TapaEvent, { kind: 'nsmEvent' }>['event']): void {
  const { config } = turn.state;
  if (conduit.recovery === 'waiting') {
    const recovered = recoveredConnection(event, conduit.identity, config.node);
    const name = recovered?.mechanism?.parameters[INTERFACE_NAME_KEY];
    const named = name === undefined || claimInterfaceName(turn, conduit.identity.id, name);
    // A DOWN connection asks NSM to reselect; so does one whose interface name another
    // connection of ours asked for meanwhile (two interfaces of a pod cannot share it).
    if (recovered && (recovered.state === 'DOWN' || !named)) reselect(turn, conduit, recovered);
    else if (recovered) conduit.request = takeOverRequest(recovered);
    endRecovery(turn, conduit);
    return;
  }
  const own = ownConnection(event, conduit.identity.id);
  const current = conduit.connection;
  // Not ours, or going away anyway (our own Close of a reselect is reported too).
  if (!own || conduit.nsmOp?.call === 'close' || conduit.nsmOp?.call === 'reselect') return;
  const gone = event.type === 'DELETE' || own.state === 'DOWN';
  if (conduit.nsmOp && gone) conduit.nsmOp.gone = true;
  else if (conduit.nsmOp) conduit.nsmOp.seen = own;
  if (!current) return; // not connected yet: the call in flight decides
  turn.touchConduit(conduit);
  if (event.type === 'DELETE' || own.state === 'DOWN') {
    // NSM dropped the connection, or its data path is down: withdraw the targets and
    // reselect, as NSM's heal client does. Also after a DELETE the request keeps the
    // path: a Request of ours that NSM answers after the DELETE has re-made the
    // connection, and a Request without its path would make a second one.
    reselect(turn, conduit, current);
  } else {
    conduit.connection = { ...current, ...(own.context ? { context: own.context } : {}) };
    updateLocalIps(conduit);
  }
}

/**
 * NSM's heal: Close the connection, then Request it again with RESELECT_REQUESTED (see
 * reselectRequest). The targets are withdrawn meanwhile: the IPs may change.
 */
function reselect(turn: Turn, conduit: ConduitState, connection: Connection): void {
  conduit.request = reselectRequest(connection);
  conduit.reselecting = connection;
  setDisconnected(turn, conduit);
}

/**
 * The monitor stream broke: what NSM did to the connection meanwhile is unknown, so NSM's
 * heal client reselects, and so do we. An answer on its way is not trusted either.
 */
function monitorLost(turn: Turn, conduit: ConduitState): void {
  const waiting = conduit.recovery === 'waiting';
  endRecovery(turn, conduit);
  if (waiting || conduit.nsmOp?.call === 'close' || conduit.nsmOp?.call === 'reselect') return;
  if (conduit.nsmOp) conduit.nsmOp.gone = true;
  if (!conduit.connection) return;
  reselect(turn, conduit, conduit.connection);
  turn.touchConduit(conduit);
}

function setDisconnected(turn: Turn, conduit: ConduitState): void {
  conduit.connection = undefined;
  conduit.appliedVips = [];
  conduit.localIps = [];
  turn.cancelTimer(conduit.refreshTimer);
  conduit.refreshTimer = undefined;
  conduit.refreshDue = false;
}

function endRecovery(turn: Turn, conduit: ConduitState): void {
  if (conduit.recovery === 'done') return;
  conduit.recovery = 'done';
  turn.cancelTimer(conduit.recoveryTimer);
  conduit.recoveryTimer = undefined;
  turn.markConduit(conduit);
}

/** VIPs, wanted or still applied, are never local IPs. */
function updateLocalIps(conduit: ConduitState): void {
  const next = localIpsOf(conduit, conduit.connection);
  if (!sameSet(next, conduit.localIps)) conduit.localIps = next;
}

function localIpsOf(conduit: ConduitState, connection: Connection | undefined): string[] {
  return localIps(connection, [...(conduit.vips ?? []), ...conduit.appliedVips]);
}

/** Did a monitor report during the call contradict its answer? */
function overtaken(conduit: ConduitState, op: NsmOp, answer: Connection): boolean {
  return op.gone === true || (op.seen !== undefined && !sameSet(localIpsOf(conduit, op.seen), localIpsOf(conduit, answer)));
}

function streamMap(conduit: ConduitState, streams: readonly NspStream[]): Map<string, NspStream> {
  const out = new Map<string, NspStream>();
  for (const s of streams) {
    if (s.conduit?.name === conduit.name && s.conduit.trench?.name === conduit.trench && !out.has(s.name)) out.set(s.name, s);
  }
  return out;
}

function openWatch(turn: Turn, conduit: ConduitState, watch: WatchKind): void {
  const scope = scopeOf(conduit);
  const owner = { kind: 'watch', ...conduitAt(conduit), watch } as const;
  const nspConduit = { name: conduit.name, destinationPortNats: [], trench: { name: conduit.trench } };
  switch (watch) {
    case 'streams':
      // An empty stream name selects every stream of the conduit.
      conduit.watches.streams.op = turn.call(
        { kind: 'watchStreams', op: turn.newOp(), scope, filter: { name: '', maxTargets: 0, conduit: nspConduit } },
        owner,
      );
      return;
    case 'flows':
      conduit.watches.flows.op = turn.call(
        {
          kind: 'watchFlows',
          op: turn.newOp(),
          scope,
          filter: {
            name: '',
            sourceSubnets: [],
            destinationPortRanges: [],
            sourcePortRanges: [],
            protocols: [],
            priority: 0,
            vips: [],
            byteMatches: [],
            stream: { name: '', maxTargets: 0, conduit: nspConduit },
          },
        },
        owner,
      );
      return;
    case 'monitor':
      conduit.watches.monitor.op = turn.call(
        {
          kind: 'monitorConnections',
          op: turn.newOp(),
          scope,
          selector: { pathSegments: [{ name: '', id: conduit.identity.id, token: '', metrics: {} }] },
        },
        owner,
      );
      return;
    default:
      return assertNever(watch);
  }
}

function retryDelay(watch: WatchKind): number {
  switch (watch) {
    case 'streams':
      return limits.watchStreamsRetryMs;
    case 'flows':
      return limits.watchFlowsRetryMs;
    case 'monitor':
      return limits.monitorRetryMs;
    default:
      return assertNever(watch);
  }
}

function nsmCall(
  turn: Turn,
  conduit: ConduitState,
  call: { kind: 'nsmRequest'; request: NetworkServiceRequest } | { kind: 'nsmClose'; connection: Connection },
): number {
  const scope = scopeOf(conduit);
  return turn.call({ ...call, op: turn.newOp(), scope, deadlineMs: turn.state.config.timeoutMs }, { kind: 'nsm', ...conduitAt(conduit) });
}

/** Shutdown begins: an NSM call waiting out a back-off goes now. */
export function hurryConduit(turn: Turn, conduit: ConduitState): void {
  turn.cancelTimer(conduit.nsmTimer);
  conduit.nsmTimer = undefined;
  turn.touchConduit(conduit);
}

/** Shutdown gives up: whatever NSM still holds for us is left to expire there. */
export function abandonConduit(turn: Turn, conduit: ConduitState): void {
  turn.cancelCall(conduit.nsmOp?.id);
  conduit.nsmOp = undefined;
  stop(turn, conduit);
}

/** Stops the watches and timers of a conduit that has nothing left to do. */
function stop(turn: Turn, conduit: ConduitState): void {
  for (const w of Object.values(conduit.watches)) {
    turn.cancelCall(w.op);
    turn.cancelTimer(w.timer);
  }
  turn.cancelTimer(conduit.recoveryTimer);
  turn.cancelTimer(conduit.nsmTimer);
  turn.cancelTimer(conduit.refreshTimer);
  releaseInterfaceName(turn, conduit.identity.id);
}

export function scopeOf(conduit: ConduitState): { trench: string; conduit: string } {
  return { trench: conduit.trench, conduit: conduit.name };
}
