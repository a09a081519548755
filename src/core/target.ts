import { limits } from './config.js';
import { assertNever } from './exhaustive.js';
import type { TapaEvent } from './events.js';
import { IDENTIFIER_KEY, identifiersInUse, parseIdentifier, pickIdentifier } from './identifier.js';
import { sameSet } from './prefix.js';
import { nextInt } from './rng.js';
import type { ConduitState, Registration, StreamState, TargetCall, TargetOp } from './state.js';
import { desired, type Desired } from './stream.js';
import { formsOf, type StreamForms } from './streamforms.js';
import type { Turn } from './turn.js';
import type { NspStream, NspTarget } from './wire.js';

/**
 * The NSP side of a stream (reference §2.4), as a reconciler: whenever no call is in
 * flight and no back-off is pending, compare what the NSP should hold (`desired`) with
 * what we believe it holds (`registered`) and make the one call that closes the gap.
 * One call at a time per stream (the caller passes no stream that is `waiting`);
 * whatever changed meanwhile (Close, new IPs, a new maxTargets) is acted on the moment
 * the call returns, so nothing is lost or leaked.
 *
 * Acquiring a target: lookup (identifiers in use) -> register DISABLED -> verify (no
 * collision, else re-draw and register again) -> register ENABLED. Keeping it: every
 * nspEntryTimeout, confirm (the NSP still has it ENABLED; else acquire again, keeping
 * the identifier) -> refresh (register ENABLED again). Releasing it: unregister.
 */
export function reconcileTarget(turn: Turn, stream: StreamState, conduit: ConduitState): void {
  const want = desired(turn.state, stream, conduit);
  const reg = stream.registered;
  if (reg && (!want || !sameSet(reg.ips, want.ips))) {
    release(turn, stream, reg, false);
  } else if (!want) {
    stream.failed = false;
    stream.redraws = 0;
    clearTimer(turn, stream);
    if (!stream.wanted) forget(turn, stream, conduit);
  } else if (!reg || reg.status !== 'ENABLED' || reg.identifier > want.maxTargets) {
    stream.redraws = 0;
    send(turn, stream, 'lookup', want.ips, stream.identifier);
  } else if (stream.failed) {
    // The last refresh failed: retry it now that the back-off is over.
    send(turn, stream, 'confirm', reg.ips, reg.identifier);
  } else if (!stream.timer) {
    arm(turn, stream, 'refresh', turn.state.config.nspEntryTimeoutMs);
  }
}

/** A call in flight or a back-off: the stream reconciles once it is over, and not before. */
export function waiting(stream: StreamState): boolean {
  return stream.op !== undefined || stream.timer?.purpose === 'retry';
}

type TargetResult = Extract<TapaEvent, { op: number }>;

const NO_TARGETS: readonly NspTarget[] = [];

export function onTargetResult(turn: Turn, stream: StreamState, conduit: ConduitState, result: TargetResult): void {
  const op = stream.op;
  if (op?.id !== result.op) return;
  stream.op = undefined;
  turn.touchStream(stream);
  const want = desired(turn.state, stream, conduit);
  // Still heading where this call was going? Otherwise reconciling takes it from here.
  const current = want !== undefined && sameSet(want.ips, op.ips) ? want : undefined;
  // A runner that answers with the wrong kind of result is treated as a failed call.
  if (result.kind === 'failed' || result.kind !== expectedResult(op.call)) return onFailure(turn, stream, op, current !== undefined);
  const targets = result.kind === 'nspTargets' ? targetsOf(result.targets, stream) : NO_TARGETS;
  switch (op.call) {
    case 'lookup':
      if (current) choose(turn, stream, current, targets);
      return;
    case 'register':
      stream.registered = { ips: op.ips, identifier: op.identifier, status: 'DISABLED' };
      if (current) send(turn, stream, 'verify', op.ips, op.identifier);
      return;
    case 'verify':
      if (current) verify(turn, stream, current, op, targets);
      return;
    case 'enable':
      stream.registered = { ips: op.ips, identifier: op.identifier, status: 'ENABLED' };
      succeeded(turn, stream);
      return;
    case 'confirm':
      if (current) confirm(turn, stream, current, op, targets);
      return;
    case 'refresh':
      succeeded(turn, stream);
      return;
    case 'unregister':
      stream.registered = undefined;
      if (!stream.wanted) stream.identifier = 0;
      if (op.thenBackoff) backOff(turn, stream);
      return;
    default:
      return assertNever(op.call);
  }
}

export function onStreamTimer(turn: Turn, stream: StreamState, conduit: ConduitState, timer: number): void {
  if (stream.timer?.id !== timer) return;
  const purpose = stream.timer.purpose;
  stream.timer = undefined;
  turn.touchStream(stream);
  const reg = stream.registered;
  const want = desired(turn.state, stream, conduit);
  if (purpose === 'refresh' && !stream.op && reg?.status === 'ENABLED' && want && sameSet(reg.ips, want.ips)) {
    send(turn, stream, 'confirm', reg.ips, reg.identifier);
  }
}

/**
 * Shutdown begins: a read of the NSP (lookup, verify, confirm) changes nothing there, so
 * it is dropped rather than waited for; a write in flight is waited for, since it may
 * land, and then withdrawn.
 */
export function dropRead(turn: Turn, stream: StreamState): void {
  const call = stream.op?.call;
  if (call !== 'lookup' && call !== 'verify' && call !== 'confirm') return;
  turn.cancelCall(stream.op?.id);
  stream.op = undefined;
  turn.touchStream(stream);
}

/** Shutdown gives up: whatever the NSP still holds for the stream is left to its expiry. */
export function abandonTarget(turn: Turn, stream: StreamState): void {
  turn.cancelCall(stream.op?.id);
  stream.op = undefined;
  clearTimer(turn, stream);
}

/** Close: withdraw now rather than after a back-off that was about acquiring. */
export function abandonBackoff(turn: Turn, stream: StreamState): void {
  if (stream.timer?.purpose === 'retry') clearTimer(turn, stream);
  stream.failed = false;
}

function expectedResult(call: TargetCall): 'nspTargets' | 'done' {
  return call === 'lookup' || call === 'verify' || call === 'confirm' ? 'nspTargets' : 'done';
}

function choose(turn: Turn, stream: StreamState, want: Desired, targets: readonly NspTarget[]): void {
  const used = identifiersInUse(targets, want.ips, want.maxTargets);
  const id = pickIdentifier(turn.state.rng, want.maxTargets, used, stream.identifier);
  if (id === undefined) return full(turn, stream);
  stream.identifier = id;
  send(turn, stream, 'register', want.ips, id);
}

function verify(turn: Turn, stream: StreamState, want: Desired, op: TargetOp, targets: readonly NspTarget[]): void {
  const used = identifiersInUse(targets, op.ips, want.maxTargets);
  if (op.identifier > want.maxTargets) return; // maxTargets shrank meanwhile: reconciling starts over
  if (!used.has(op.identifier)) return send(turn, stream, 'enable', op.ips, op.identifier);
  // Collision: another target registered the same identifier. Whoever verifies second
  // sees the other and moves, so two ENABLED targets never share one.
  const id = pickIdentifier(turn.state.rng, want.maxTargets, used, 0);
  if (id === undefined) return full(turn, stream);
  if (++stream.redraws > limits.maxCollisionRedraws) return fail(turn, stream);
  stream.identifier = id;
  send(turn, stream, 'register', op.ips, id);
}

/**
 * No identifier is free ("no identifier available"). Whatever we still hold at the NSP
 * is given back before backing off: the other TAPAs count a DISABLED target's identifier
 * as taken, so keeping it could make the stream look full to them too.
 */
function full(turn: Turn, stream: StreamState): void {
  stream.failed = true;
  const reg = stream.registered;
  if (reg) return release(turn, stream, reg, true);
  backOff(turn, stream);
}

/**
 * The first half of a refresh: is our target still ENABLED at the NSP? Only then is it
 * registered again (the keep-alive). Go registers first and checks after; but a register
 * of an entry the NSP had lost creates it DISABLED, and the next register would turn
 * that DISABLED entry ENABLED without any collision check: after an NSP restart that
 * wiped its registry, two pods could end up ENABLED with one identifier (the simulator
 * found this). Checking first means a DISABLED or missing target is always acquired
 * again, through the collision check, keeping its identifier if it is still free.
 */
function confirm(turn: Turn, stream: StreamState, want: Desired, op: TargetOp, targets: readonly NspTarget[]): void {
  if (op.identifier > want.maxTargets) return; // maxTargets shrank meanwhile: reconciling acquires anew
  const own = targets.find((t) => sameSet(t.ips, op.ips));
  if (own?.status === 'ENABLED' && parseIdentifier(own) === op.identifier) return send(turn, stream, 'refresh', op.ips, op.identifier);
  const reg = stream.registered;
  if (reg && sameSet(reg.ips, op.ips)) stream.registered = { ...reg, status: 'DISABLED' };
}

function succeeded(turn: Turn, stream: StreamState): void {
  stream.failed = false;
  stream.redraws = 0;
  arm(turn, stream, 'refresh', turn.state.config.nspEntryTimeoutMs);
}

function onFailure(turn: Turn, stream: StreamState, op: TargetOp, stillWanted: boolean): void {
  if (op.call === 'register' || op.call === 'enable') {
    // It may have landed: remember it so that it is unregistered if no longer wanted.
    stream.registered = { ips: op.ips, identifier: op.identifier, status: 'UNKNOWN' };
  }
  if (op.call === 'unregister' && turn.state.shutdown !== 'running') {
    // One attempt at shutdown, as Go makes: the NSP's expiry removes what it still holds.
    stream.registered = undefined;
    return;
  }
  // A failed step towards something no longer wanted needs no back-off: reconciling
  // withdraws it right away. Only failures of what is still wanted are retried later.
  if (op.call === 'unregister' || stillWanted) fail(turn, stream);
}

function fail(turn: Turn, stream: StreamState): void {
  stream.failed = true;
  backOff(turn, stream);
}

/**
 * Waits between a half and one and a half retry delays, drawn from the seeded generator.
 * Go waits exactly 1 s; two pods contending for the last identifier of a stream then
 * collide, back off and retry in lockstep forever (the simulator found this). Jitter
 * breaks the symmetry.
 */
function backOff(turn: Turn, stream: StreamState): void {
  const base = limits.streamRetryMs;
  arm(turn, stream, 'retry', base / 2 + nextInt(turn.state.rng, base + 1));
}

function release(turn: Turn, stream: StreamState, reg: Registration, thenBackoff: boolean): void {
  send(turn, stream, 'unregister', reg.ips, reg.identifier, thenBackoff, reg.status === 'ENABLED' ? 'ENABLED' : 'DISABLED');
}

/** Drops a stream that is neither wanted nor holding anything. */
function forget(turn: Turn, stream: StreamState, conduit: ConduitState): void {
  conduit.streams.delete(stream.name);
  turn.droppedStream(stream);
  turn.markConduit(conduit);
}

function send(
  turn: Turn,
  stream: StreamState,
  call: TargetCall,
  ips: readonly string[],
  identifier: number,
  thenBackoff = false,
  status: 'ENABLED' | 'DISABLED' = call === 'enable' || call === 'refresh' ? 'ENABLED' : 'DISABLED',
): void {
  // A call supersedes a pending refresh: the refresh timer is re-armed once the target is ENABLED again.
  clearTimer(turn, stream);
  const forms = formsOf(stream);
  const { scope } = forms;
  const deadlineMs = limits.nspCallMs;
  const op = turn.newOp();
  switch (call) {
    case 'lookup':
    case 'verify':
    case 'confirm':
      turn.call({ kind: 'getTargets', op, scope, step: call, deadlineMs, filter: forms.targets }, forms.caller);
      break;
    case 'register':
    case 'enable':
    case 'refresh':
      turn.call({ kind: 'register', op, scope, step: call, deadlineMs, target: target(forms, ips, identifier, status) }, forms.caller);
      break;
    case 'unregister':
      turn.call({ kind: 'unregister', op, scope, step: call, deadlineMs, target: target(forms, ips, identifier, status) }, forms.caller);
      break;
    default:
      return assertNever(call);
  }
  stream.op = thenBackoff ? { id: op, call, ips, identifier, thenBackoff } : { id: op, call, ips, identifier };
}

function target(forms: StreamForms, ips: readonly string[], identifier: number, status: 'ENABLED' | 'DISABLED'): NspTarget {
  return { ips: [...ips], context: { [IDENTIFIER_KEY]: String(identifier) }, status, type: 'DEFAULT', stream: forms.nsp };
}

/** The targets of the stream among those the NSP sent: mostly all of them, and then no copy is made. */
function targetsOf(targets: readonly NspTarget[], stream: StreamState): readonly NspTarget[] {
  for (const t of targets) if (!sameStream(t.stream, stream)) return targets.filter((u) => sameStream(u.stream, stream));
  return targets;
}

function sameStream(s: NspStream | undefined, stream: StreamState): boolean {
  return s?.name === stream.name && s.conduit?.name === stream.conduit && s.conduit.trench?.name === stream.trench;
}

function arm(turn: Turn, stream: StreamState, purpose: 'retry' | 'refresh', afterMs: number): void {
  clearTimer(turn, stream);
  stream.timer = { id: turn.setTimer(formsOf(stream).timer, afterMs), purpose };
}

function clearTimer(turn: Turn, stream: StreamState): void {
  turn.cancelTimer(stream.timer?.id);
  stream.timer = undefined;
}
