import { sameSet } from './prefix.js';
import type { ConduitState, StreamState, TapaState } from './state.js';
import { statusOf } from './stream.js';

/**
 * Internal consistency of a state between two steps. Returns what is wrong (empty:
 * nothing); the simulator checks it after every step.
 */
export function invariants(state: TapaState): string[] {
  const bad: string[] = [];
  // Messages are built only for what is broken: this runs after every simulated step.
  const check = (ok: boolean, what: () => string): void => {
    if (!ok) bad.push(what());
  };
  const streamsWithOp = new Set<StreamState>();
  let trenchesInUse = 0;
  let wantedTotal = 0;

  for (const [name, trench] of state.trenches) {
    check(trench.name === name, () => `trench ${name} is filed under another name`);
    check(trench.conduits.size > 0, () => `trench ${name} has no conduits but was not released`);
    let inUse = false;
    for (const [cname, conduit] of trench.conduits) {
      const where = `conduit ${name}/${cname}`;
      check(conduit.name === cname && conduit.trench === name, () => `${where} is filed under another name`);
      checkConduit(state, conduit, where, check);
      let wanted = 0;
      for (const [sname, stream] of conduit.streams) {
        const at = `stream ${name}/${cname}/${sname}`;
        check(stream.name === sname && stream.conduit === cname && stream.trench === name, () => `${at} is filed under another name`);
        if (stream.wanted) wanted++;
        if (stream.op) streamsWithOp.add(stream);
        checkStream(state, conduit, stream, at, check);
      }
      check(conduit.wanted === wanted, () => `${where} counts ${conduit.wanted} wanted streams, has ${wanted}`);
      if (wanted > 0) inUse = true;
      wantedTotal += wanted;
    }
    if (inUse) trenchesInUse++;
  }
  check(trenchesInUse <= 1, () => `${trenchesInUse} trenches have open streams; a pod belongs to one trench at a time`);
  check(state.registry.size === wantedTotal, () => `Watch registry has ${state.registry.size} streams, ${wantedTotal} are open`);

  for (const [op, owner] of state.pending) {
    switch (owner.kind) {
      case 'target':
        check(owner.stream.op?.id === op && streamsWithOp.has(owner.stream), () => `op ${op} waits for a stream call that is not current`);
        break;
      case 'nsm':
        check(owner.conduit.nsmOp?.id === op && live(state, owner.conduit), () => `op ${op} waits for an NSM call that is not current`);
        break;
      case 'watch':
        check(owner.conduit.watches[owner.watch].op === op && live(state, owner.conduit), () => `op ${op} is a ${owner.watch} watch that is not current`);
        break;
    }
  }
  for (const stream of streamsWithOp) check(state.pending.get(stream.op?.id ?? -1)?.kind === 'target', () => `stream ${stream.key} has a call nobody waits for`);

  for (const [timer, owner] of state.timers) {
    switch (owner.kind) {
      case 'stream':
        check(owner.stream.timer?.id === timer, () => `timer ${timer} belongs to no stream`);
        break;
      case 'nsm':
        check(owner.conduit.nsmTimer === timer && live(state, owner.conduit), () => `timer ${timer} belongs to no NSM back-off`);
        break;
      case 'recovery':
        check(owner.conduit.recoveryTimer === timer && live(state, owner.conduit), () => `timer ${timer} belongs to no recovery`);
        break;
      case 'refresh':
        check(owner.conduit.refreshTimer === timer && live(state, owner.conduit), () => `timer ${timer} belongs to no token refresh`);
        break;
      case 'watch':
        check(owner.conduit.watches[owner.watch].timer === timer && live(state, owner.conduit), () => `timer ${timer} belongs to no watch`);
        break;
    }
  }
  if (state.shutdown === 'done') {
    check(state.trenches.size === 0 && state.pending.size === 0 && state.timers.size === 0, () => 'shut down with work left');
  }
  return bad;
}

type Check = (ok: boolean, what: () => string) => void;

function live(state: TapaState, conduit: ConduitState): boolean {
  return state.trenches.get(conduit.trench)?.conduits.get(conduit.name) === conduit;
}

function checkConduit(state: TapaState, conduit: ConduitState, where: string, check: Check): void {
  check(conduit.connection !== undefined || conduit.localIps.length === 0, () => `${where} has local IPs without a connection`);
  check(conduit.nsmOp === undefined || state.pending.get(conduit.nsmOp.id)?.kind === 'nsm', () => `${where} has an NSM call nobody waits for`);
  check(conduit.nsmOp === undefined || conduit.nsmTimer === undefined, () => `${where} calls NSM while backing off`);
  for (const [kind, w] of Object.entries(conduit.watches)) {
    check(w.op === undefined || w.timer === undefined, () => `${where} ${kind} watch is open and scheduled to re-open`);
    check(w.op !== undefined || w.timer !== undefined, () => `${where} ${kind} watch is neither open nor scheduled`);
    if (w.timer !== undefined) check(state.timers.has(w.timer), () => `${where} ${kind} watch waits for a timer that is not set`);
  }
  check((conduit.recovery === 'waiting') === (conduit.recoveryTimer !== undefined), () => `${where} recovery and its timer disagree`);
  if (conduit.nsmTimer !== undefined) check(state.timers.has(conduit.nsmTimer), () => `${where} waits for an NSM back-off timer that is not set`);
  // Only a live connection has tokens to refresh.
  if (conduit.refreshTimer !== undefined) check(conduit.connection !== undefined && state.timers.has(conduit.refreshTimer), () => `${where} refreshes tokens of no connection`);
  check(!conduit.refreshDue || conduit.connection !== undefined, () => `${where} owes a refresh of no connection`);
  const idle = conduit.wanted === 0 && conduit.streams.size === 0 && !conduit.held && !conduit.nsmOp && conduit.nsmTimer === undefined;
  check(!idle, () => `${where} has nothing to do but was not dropped`);
}

function checkStream(state: TapaState, conduit: ConduitState, stream: StreamState, at: string, check: Check): void {
  check((state.registry.get(stream.key) === stream) === stream.wanted, () => `${at} is ${stream.wanted ? 'open but not' : 'closed but'} in the Watch registry`);
  if (stream.wanted) check(stream.status === statusOf(stream, conduit), () => `${at} published ${stream.status}, is ${statusOf(stream, conduit)}`);
  if (stream.timer) check(state.timers.get(stream.timer.id)?.kind === 'stream', () => `${at} waits for a timer that is not set`);
  check(stream.identifier >= 0, () => `${at} has identifier ${stream.identifier}`);
  const reg = stream.registered;
  if (reg) check(reg.identifier >= 1, () => `${at} registered identifier ${reg.identifier}`);
  if (stream.timer?.purpose === 'refresh') check(reg?.status === 'ENABLED', () => `${at} refreshes a target that is not ENABLED`);
  // The moment the local IPs change, a target under the old ones is withdrawn: only a
  // call in flight or a back-off may delay it.
  if (reg?.status === 'ENABLED' && !sameSet(reg.ips, conduit.localIps)) {
    check(stream.op !== undefined || stream.timer?.purpose === 'retry', () => `${at} keeps an ENABLED target under stale IPs`);
  }
  const idle = !stream.wanted && !reg && !stream.op && !stream.timer;
  check(!idle, () => `${at} is closed and idle but was not dropped`);
}
