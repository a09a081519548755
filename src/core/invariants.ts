import { sameSet } from './prefix.js';
import type { ConduitState, StreamState, TapaState, WatchKind } from './state.js';
import { statusOf } from './stream.js';
import { conduitOf, streamOf } from './trench.js';

const WATCH_KINDS: readonly WatchKind[] = ['streams', 'flows', 'monitor'];

/**
 * Internal consistency of a state between two steps. Returns what is wrong (empty:
 * nothing). The simulator checks it after every step, so a message, and the names in
 * it, is built only once its rule is broken.
 */
export function invariants(state: TapaState): string[] {
  const bad: string[] = [];
  const streamsWithOp = new Set<StreamState>();
  let trenchesInUse = 0;
  let wantedTotal = 0;

  for (const [name, trench] of state.trenches) {
    if (trench.name !== name) bad.push(`trench ${name} is filed under another name`);
    if (trench.conduits.size === 0) bad.push(`trench ${name} has no conduits but was not released`);
    let inUse = false;
    for (const [cname, conduit] of trench.conduits) {
      if (conduit.name !== cname || conduit.trench !== name) bad.push(`conduit ${name}/${cname} is filed under another name`);
      checkConduit(state, conduit, bad);
      let wanted = 0;
      for (const [sname, stream] of conduit.streams) {
        if (stream.name !== sname || stream.conduit !== cname || stream.trench !== name)
          bad.push(`stream ${name}/${cname}/${sname} is filed under another name`);
        if (stream.wanted) wanted++;
        if (stream.op) streamsWithOp.add(stream);
        checkStream(state, conduit, stream, bad);
      }
      if (conduit.wanted !== wanted) bad.push(`${conduitLabel(conduit)} counts ${conduit.wanted} wanted streams, has ${wanted}`);
      if (wanted > 0) inUse = true;
      wantedTotal += wanted;
    }
    if (inUse) trenchesInUse++;
  }
  if (trenchesInUse > 1) bad.push(`${trenchesInUse} trenches have open streams; a pod belongs to one trench at a time`);
  if (state.registry.size !== wantedTotal) bad.push(`Watch registry has ${state.registry.size} streams, ${wantedTotal} are open`);
  for (const [key, at] of state.registry)
    if (streamOf(state, at)?.key !== key) bad.push(`Watch registry files ${key} under another stream`);
  const names = new Set([...state.interfaceNames.values()].map((n) => n.name));
  if (names.size !== state.interfaceNames.size) bad.push('two connections have the same interface name');

  // forEach rather than for-of: no [id, owner] pair per entry, on a check made after every simulated step.
  state.pending.forEach((owner, op) => {
    const conduit = conduitOf(state, owner.trench, owner.conduit);
    switch (owner.kind) {
      case 'target':
        if (conduit?.streams.get(owner.stream)?.op?.id !== op) bad.push(`op ${op} waits for a stream call that is not current`);
        break;
      case 'nsm':
        if (conduit?.nsmOp?.id !== op) bad.push(`op ${op} waits for an NSM call that is not current`);
        break;
      case 'watch':
        if (conduit?.watches[owner.watch].op !== op) bad.push(`op ${op} is a ${owner.watch} watch that is not current`);
        break;
    }
  });
  for (const stream of streamsWithOp) {
    if (state.pending.get(stream.op?.id ?? -1)?.kind !== 'target') bad.push(`stream ${stream.key} has a call nobody waits for`);
  }

  state.timers.forEach((owner, timer) => {
    if (owner.kind === 'shutdown') {
      if (state.shutdownTimer !== timer || state.shutdown !== 'draining') bad.push(`timer ${timer} belongs to no shutdown`);
      return;
    }
    if (owner.kind === 'interfaceName') {
      if (state.interfaceNames.get(owner.connection)?.release !== timer) bad.push(`timer ${timer} releases no interface name`);
      return;
    }
    const conduit = conduitOf(state, owner.trench, owner.conduit);
    switch (owner.kind) {
      case 'stream':
        if (conduit?.streams.get(owner.stream)?.timer?.id !== timer) bad.push(`timer ${timer} belongs to no stream`);
        break;
      case 'nsm':
        if (conduit?.nsmTimer !== timer) bad.push(`timer ${timer} belongs to no NSM back-off`);
        break;
      case 'recovery':
        if (conduit?.recoveryTimer !== timer) bad.push(`timer ${timer} belongs to no recovery`);
        break;
      case 'refresh':
        if (conduit?.refreshTimer !== timer) bad.push(`timer ${timer} belongs to no token refresh`);
        break;
      case 'watch':
        if (conduit?.watches[owner.watch].timer !== timer) bad.push(`timer ${timer} belongs to no watch`);
        break;
    }
  });
  if (state.shutdown === 'done' && (state.trenches.size !== 0 || state.pending.size !== 0 || state.timers.size !== 0)) {
    bad.push('shut down with work left');
  }
  return bad;
}

function conduitLabel(conduit: ConduitState): string {
  return `conduit ${conduit.trench}/${conduit.name}`;
}

function streamLabel(stream: StreamState): string {
  return `stream ${stream.trench}/${stream.conduit}/${stream.name}`;
}

function checkConduit(state: TapaState, conduit: ConduitState, bad: string[]): void {
  if (conduit.connection === undefined && conduit.localIps.length > 0)
    bad.push(`${conduitLabel(conduit)} has local IPs without a connection`);
  if (conduit.nsmOp !== undefined && state.pending.get(conduit.nsmOp.id)?.kind !== 'nsm')
    bad.push(`${conduitLabel(conduit)} has an NSM call nobody waits for`);
  if (conduit.nsmOp !== undefined && conduit.nsmTimer !== undefined) bad.push(`${conduitLabel(conduit)} calls NSM while backing off`);
  for (const kind of WATCH_KINDS) {
    const w = conduit.watches[kind];
    if (w.op !== undefined && w.timer !== undefined) bad.push(`${conduitLabel(conduit)} ${kind} watch is open and scheduled to re-open`);
    if (w.op === undefined && w.timer === undefined) bad.push(`${conduitLabel(conduit)} ${kind} watch is neither open nor scheduled`);
    if (w.timer !== undefined && !state.timers.has(w.timer))
      bad.push(`${conduitLabel(conduit)} ${kind} watch waits for a timer that is not set`);
  }
  if ((conduit.recovery === 'waiting') !== (conduit.recoveryTimer !== undefined))
    bad.push(`${conduitLabel(conduit)} recovery and its timer disagree`);
  if (conduit.nsmTimer !== undefined && !state.timers.has(conduit.nsmTimer))
    bad.push(`${conduitLabel(conduit)} waits for an NSM back-off timer that is not set`);
  // Only a live connection has tokens to refresh.
  if (conduit.refreshTimer !== undefined && (conduit.connection === undefined || !state.timers.has(conduit.refreshTimer))) {
    bad.push(`${conduitLabel(conduit)} refreshes tokens of no connection`);
  }
  // NSM may have made the interface under the name: nobody else may ask for it meanwhile.
  if (conduit.held && state.interfaceNames.get(conduit.identity.id)?.release !== undefined) {
    bad.push(`${conduitLabel(conduit)} holds a connection whose interface name is being released`);
  }
  if (conduit.held && !state.interfaceNames.has(conduit.identity.id))
    bad.push(`${conduitLabel(conduit)} holds a connection without an interface name`);
  if (conduit.refreshDue && conduit.connection === undefined) bad.push(`${conduitLabel(conduit)} owes a refresh of no connection`);
  if (conduit.wanted === 0 && conduit.streams.size === 0 && !conduit.held && !conduit.nsmOp && conduit.nsmTimer === undefined) {
    bad.push(`${conduitLabel(conduit)} has nothing to do but was not dropped`);
  }
}

function checkStream(state: TapaState, conduit: ConduitState, stream: StreamState, bad: string[]): void {
  if (state.registry.has(stream.key) !== stream.wanted)
    bad.push(`${streamLabel(stream)} is ${stream.wanted ? 'open but not' : 'closed but'} in the Watch registry`);
  if (stream.wanted && stream.status !== statusOf(stream, conduit))
    bad.push(`${streamLabel(stream)} published ${stream.status}, is ${statusOf(stream, conduit)}`);
  if (stream.timer && state.timers.get(stream.timer.id)?.kind !== 'stream')
    bad.push(`${streamLabel(stream)} waits for a timer that is not set`);
  if (!(stream.identifier >= 0)) bad.push(`${streamLabel(stream)} has identifier ${stream.identifier}`);
  const reg = stream.registered;
  if (reg && !(reg.identifier >= 1)) bad.push(`${streamLabel(stream)} registered identifier ${reg.identifier}`);
  if (stream.timer?.purpose === 'refresh' && reg?.status !== 'ENABLED')
    bad.push(`${streamLabel(stream)} refreshes a target that is not ENABLED`);
  // The moment the local IPs change, a target under the old ones is withdrawn: only a
  // call in flight or a back-off may delay it.
  if (reg?.status === 'ENABLED' && !sameSet(reg.ips, conduit.localIps) && stream.op === undefined && stream.timer?.purpose !== 'retry') {
    bad.push(`${streamLabel(stream)} keeps an ENABLED target under stale IPs`);
  }
  if (!stream.wanted && !reg && !stream.op && !stream.timer) bad.push(`${streamLabel(stream)} is closed and idle but was not dropped`);
}
